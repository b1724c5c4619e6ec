"""Entry point for python -m derive and the derive command."""

from .cli import main
from .runtime import exit_without_collecting


def entry() -> None:
    """Run the command line, then exit with its status."""
    exit_without_collecting(main())


if __name__ == "__main__":
    entry()
