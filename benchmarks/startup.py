"""Time `python -m derive` on the seed against `python -c "import sympy, jinja2"` and print the ratio.

Run: python benchmarks/startup.py [--runs N]
The goal (design v2) is a ratio of at most 1.3. Runs use Python's bytecode cache, as an installed
package does: a PYTHONDONTWRITEBYTECODE in the environment is dropped for the timed commands.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


BASELINE = [sys.executable, "-c", "import sympy, jinja2"]  # what every benchmark's ratio divides by


def median_seconds(command: list[str], runs: int, cwd: str) -> float:
    """The median wall time of ``runs`` runs of ``command`` (after one warm-up run, which writes the bytecode)."""
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(command, cwd=cwd, check=True, capture_output=True, env=environment)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, capture_output=True, env=environment)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Print both medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        baseline = median_seconds(BASELINE, args.runs, folder)
        derive = median_seconds([sys.executable, "-m", "derive"], args.runs, folder)
    print(f"python -c 'import sympy, jinja2': {baseline:.3f} s (median of {args.runs})")
    print(f"python -m derive (seed, markdown): {derive:.3f} s (median of {args.runs})")
    print(f"ratio: {derive / baseline:.2f} (goal: at most 1.3)")


if __name__ == "__main__":
    main()
