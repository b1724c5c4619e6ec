"""Entry point for python -m derive and the derive command."""

import gc
import sys

from .cli import main


def entry() -> None:
    """Run the command line, then exit with its status."""
    status = main()
    # Everything the run built is still referenced at exit, and the interpreter's exit-time collections
    # would walk all of it (tens of thousands of SymPy objects): for the seed that took longer than
    # writing its document. Frozen objects are skipped; the process ends right after, so none is needed.
    gc.freeze()
    sys.exit(status)


if __name__ == "__main__":
    entry()
