"""Time 10,000 SGD steps on the seed (`mazur` with steps = 10000) against `python -c "import sympy, jinja2"`.

Run: python benchmarks/many_steps.py
The goal (issue 3) is at most 5x the import time; the first step is derived exactly, the rest run in float64.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from startup import BASELINE, median_seconds

STEPS = 10_000


def main() -> None:
    """Print the import baseline, the markdown and JSON run times and their ratios."""
    seed = (Path(__file__).resolve().parent.parent / "examples" / "mazur.toml").read_text()
    spec = re.sub(r"steps = \d+", f"steps = {STEPS}", seed)
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "seed10k.toml").write_text(spec)
        baseline = median_seconds(BASELINE, 5, folder)
        print(f"python -c 'import sympy, jinja2': {baseline:.3f} s")
        for kind in ("json", "markdown"):
            seconds = median_seconds([sys.executable, "-m", "derive", "seed10k.toml", "--format", kind, "-o", "-"], 3, folder)
            print(f"{STEPS} steps, --format {kind}: {seconds:.3f} s = {seconds / baseline:.2f}x import (goal: at most 5)")
        final = subprocess.run(
            [sys.executable, "-m", "derive", "seed10k.toml", "--format", "json", "-o", "-"],
            cwd=folder, capture_output=True, text=True, check=True,
        ).stdout
        loss = re.search(r'"final": \{\s*"loss": ([0-9.e+-]+)', final)
        print(f"final loss after {STEPS} steps: {loss.group(1) if loss else '?'} (expected 2.4475622e-06)")


if __name__ == "__main__":
    main()
