"""Time the seed's graph view and its HTML page against `python -c "import sympy, jinja2"` and print the ratios.

Run: python benchmarks/web.py [--runs N]
The goal (issue 13) is a ratio of at most 2 for each: `derive --style graph` (the Markdown and its
SVG figures written to output/) and `derive --format html` (one page with its figures inline).
"""

from __future__ import annotations

import argparse
import sys
import tempfile

from startup import BASELINE, median_seconds

GOAL = 2.0
COMMANDS = {
    "derive --style graph (seed, markdown + SVG figures)": ["-m", "derive", "--style", "graph"],
    "derive --format html (seed)": ["-m", "derive", "--format", "html"],
}


def main() -> None:
    """Print the medians and each command's ratio to the baseline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        baseline = median_seconds(BASELINE, args.runs, folder)
        print(f"python -c 'import sympy, jinja2': {baseline:.3f} s (median of {args.runs})")
        for name, arguments in COMMANDS.items():
            seconds = median_seconds([sys.executable, *arguments], args.runs, folder)
            print(f"{name}: {seconds:.3f} s, ratio {seconds / baseline:.2f} (goal: at most {GOAL:g})")


if __name__ == "__main__":
    main()
