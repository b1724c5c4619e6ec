"""Time a class set of 60 variants (Markdown sheets, keys and answers, one process) against `python -c "import sympy, jinja2"`.

Run: python benchmarks/exercises.py [--runs N] [--variants N] [--spec SPEC]
The goal (issue 12) is a ratio of at most 12: `python -m derive exercise mazur --variants 60 --seed 1`
draws 60 variants (redrawing dull ones), derives each exactly, renders its sheet and its key and
writes answers.json and the overview. The two class PDFs (--format pdf) each take one pdflatex run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from startup import BASELINE, median_seconds

GOAL = 12


def main() -> None:
    """Print both medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--variants", type=int, default=60)
    parser.add_argument("--spec", default="mazur")
    args = parser.parse_args()
    checkout = str(Path(__file__).resolve().parents[1])  # time this checkout's derive, from any folder
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [checkout, os.environ.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory() as folder:
        baseline = median_seconds(BASELINE, args.runs, folder)
        command = [sys.executable, "-m", "derive", "exercise", args.spec, "--variants", str(args.variants),
                   "--seed", "1", "-o", "class"]
        exercise = median_seconds(command, args.runs, folder)
    print(f"python -c 'import sympy, jinja2': {baseline:.3f} s (median of {args.runs})")
    print(f"python -m derive exercise {args.spec} --variants {args.variants} (markdown): {exercise:.3f} s "
          f"(median of {args.runs})")
    print(f"ratio: {exercise / baseline:.2f} (goal: at most {GOAL})")


if __name__ == "__main__":
    main()
