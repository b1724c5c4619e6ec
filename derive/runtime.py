"""How the command line treats its own process's garbage collector: less often while a command runs, not at all at exit."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

# Allocations between collections of the youngest generation; CPython's default is 700.
YOUNG_COLLECTION_THRESHOLD = 10_000


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect cyclic garbage less often while the body runs, and restore the thresholds after.

    A derivation keeps hundreds of thousands of numbers alive and makes few cycles, and each full
    collection walks all of them: at the default threshold the JSON of a 2-4000-2 network spent
    0.46 s of 2.5 s in eight full collections, and none at this one (mypy's command line raises
    its threshold for the same reason). The library leaves the collector alone; only the
    command line, which owns its process, asks for this.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def exit_without_collecting(status: int) -> NoReturn:
    """End the process with ``status``, sparing the interpreter's exit-time collections.

    Everything the run built is still referenced at exit, and those collections would walk all of it
    (tens of thousands of SymPy objects): for the seed that took longer than writing its document.
    Frozen objects are skipped; the process ends right after, so no collection is needed.
    """
    gc.freeze()
    sys.exit(status)
