"""The README's Python examples run as written (doctest), so the documented API is the real one."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_python_api_examples_run_as_written() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    examples = [block for block in blocks if ">>>" in block]
    assert examples, "the README has no Python example"
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for number, block in enumerate(examples):
        runner.run(parser.get_doctest(block, {}, f"README example {number + 1}", str(README), 0))
    assert runner.failures == 0, f"{runner.failures} README example lines fail; run pytest -s to see them"
