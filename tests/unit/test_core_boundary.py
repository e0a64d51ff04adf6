"""The core (chat/core/) knows nothing of Flask or Socket.IO, and no handler module imports another: read from the imports."""

import ast
from pathlib import Path

import chat.core
import chat.handlers

CORE = Path(chat.core.__file__).parent
FORBIDDEN = {"flask", "flask_socketio", "socketio", "engineio", "flask_cors"}


def _imported(path):
    """Return the top-level names of the modules ``path`` imports, relative imports resolved from chat."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
            elif node.level == 2 and node.module is None:  # from .. import x: chat's own modules
                names |= {f"chat.{alias.name}" for alias in node.names}
    return names


def test_the_core_imports_neither_flask_nor_socketio():
    """Find no import of Flask, Flask-SocketIO, python-socketio or Engine.IO under chat/core/."""
    modules = sorted(CORE.glob("*.py"))
    assert len(modules) >= 10
    for module in modules:
        imported = _imported(module)
        assert not imported & FORBIDDEN, f"{module.name} imports {imported & FORBIDDEN}"
        # chat/__init__.py's socketio and chat/metrics.py are the Socket.IO side: not for the core.
        assert not imported & {"chat.socketio", "chat.metrics", "chat.events", "chat.transport"}, module.name


def test_each_core_module_stays_small():
    """Keep every module of the core under 400 lines."""
    for module in CORE.glob("*.py"):
        assert len(module.read_text().splitlines()) < 400, module.name


def test_no_handler_module_imports_another():
    """Find no import of a handler module in another (handlers/__init__.py only registers them)."""
    handlers = Path(chat.handlers.__file__).parent
    names = {module.stem for module in handlers.glob("*.py")} - {"__init__"}
    assert len(names) >= 7
    for module in handlers.glob("*.py"):
        if module.stem == "__init__":
            continue
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                assert node.module is None or node.module.split(".")[0] not in names, module.name
                assert node.module is not None or not {a.name for a in node.names} & names, module.name
