"""The documentation's shell commands: every line of every shell block of the README and docs/*.md."""

import re
import shlex
from pathlib import Path
from typing import NamedTuple

from . import ROOT

SHELL_LANGUAGES = {"sh", "bash", "shell", "console"}
FENCE = re.compile(r"[ \t]*```(\w*)[ \t]*")
LIST_ITEM = re.compile(r"([-*+]|\d+\.) ")


class Command(NamedTuple):
    """One documented command, continuation lines joined and spaces collapsed, and where it is written."""

    text: str
    document: str  # relative to the repository root


def documents() -> list[Path]:
    """Return the README and every page of docs/, in a fixed order."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """Return the (language, body) of every fenced code block of a Markdown text, indented ones included."""
    blocks, language, body = [], None, []
    for line in text.splitlines():
        fence = FENCE.fullmatch(line)
        if language is None and fence:
            language, body = fence.group(1), []
        elif language is not None and line.strip() == "```":
            blocks.append((language, "\n".join(body)))
            language = None
        elif language is not None:
            body.append(line)
    return blocks


def indented_code_blocks(text: str) -> list[str]:
    """Return the first line of every indented code block of a Markdown text (outside fences and lists).

    Markdown makes a block of lines indented four spaces or more, after a blank line that follows a
    paragraph (not a list item, whose continuation lines are indented too), into code.
    """
    found, fenced, previous, paragraph = [], False, "", ""
    for line in text.splitlines():
        if FENCE.fullmatch(line) or (fenced and line.strip() == "```"):
            fenced = not fenced
        elif not fenced and line.startswith("    ") and line.strip() and not previous.strip():
            if paragraph and not LIST_ITEM.match(paragraph) and not paragraph.startswith((" ", "|")):
                found.append(line.strip())
        if line.strip() and not fenced:
            if not previous.strip():
                paragraph = line  # the first line of this paragraph or block
        previous = line
    return found


def shell_commands(path: Path) -> list[Command]:
    """Return the commands of the shell blocks of one Markdown file, comments and blank lines left out."""
    commands = []
    for language, body in fenced_blocks(path.read_text()):
        if language not in SHELL_LANGUAGES:
            continue
        for line in body.replace("\\\n", " ").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                commands.append(Command(" ".join(line.split()), str(path.relative_to(ROOT))))
    return commands


def documented_commands() -> list[Command]:
    """Return every command of every shell block of the README and docs/*.md."""
    return [command for path in documents() for command in shell_commands(path)]


def split_command(command: str) -> tuple[dict[str, str], list[str]]:
    """Split a shell command into its leading VAR=value assignments and its arguments."""
    words = shlex.split(command)
    assignments = {}
    while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
        name, value = words.pop(0).split("=", 1)
        assignments[name] = value
    return assignments, words
