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
    return interleaved_medians([command], runs, cwd)[0]


def interleaved_medians(commands: list[list[str]], runs: int, cwd: str) -> list[float]:
    """Each command's median wall time over ``runs`` rounds that run every command once, in turn, so
    that a change in the machine's load during the measurement weighs on all of them alike."""
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    for command in commands:  # the warm-up run writes the bytecode
        subprocess.run(command, cwd=cwd, check=True, capture_output=True, env=environment)
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for command, taken in zip(commands, times):
            start = time.perf_counter()
            subprocess.run(command, cwd=cwd, check=True, capture_output=True, env=environment)
            taken.append(time.perf_counter() - start)
    return [statistics.median(taken) for taken in times]


def main() -> None:
    """Print both medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        baseline, derive = interleaved_medians([BASELINE, [sys.executable, "-m", "derive"]], args.runs, folder)
    print(f"python -c 'import sympy, jinja2': {baseline:.3f} s (median of {args.runs})")
    print(f"python -m derive (seed, markdown): {derive:.3f} s (median of {args.runs})")
    print(f"ratio: {derive / baseline:.2f} (goal: at most 1.3)")


if __name__ == "__main__":
    main()
