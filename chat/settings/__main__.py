"""Print the settings table, or write it into README.md: ``python -m chat.settings [--readme]``."""

import sys
from pathlib import Path

from .readme import table, write_readme_table


def main(argv: list[str]) -> int:
    """Print the settings table; with ``--readme``, write it into README.md instead."""
    if argv == ["--readme"]:
        write_readme_table(Path(__file__).resolve().parents[2] / "README.md")
    elif argv:
        print("usage: python -m chat.settings [--readme]", file=sys.stderr)
        return 2
    else:
        sys.stdout.write(table())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
