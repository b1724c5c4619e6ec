"""Time `derive --format json` on a 2-4000-2 network (16,000 parameters) against
`python -c "import sympy, jinja2"` and print the ratio.

Run: python benchmarks/json_large.py [--runs N] [--hidden N] [--steps N]
The goal (issue 5) is a ratio under 10: JSON stays usable for networks far too large to derive
in full on paper (see derive/limits.py).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

from startup import BASELINE, median_seconds


def spec_text(hidden: int, steps: int, seed: int = 0) -> str:
    """A 2-hidden-2 sigmoid network with two-decimal weights, one sample, SGD."""
    rng = random.Random(seed)

    def row(width: int) -> str:
        return "[" + ", ".join(f"{rng.randint(-100, 100) / 100:.2f}" for _ in range(width)) + "]"

    first = "[" + ", ".join(row(2) for _ in range(hidden)) + "]"
    second = "[" + ", ".join(row(hidden) for _ in range(2)) + "]"
    return f"""\
title = "A 2-{hidden}-2 network"

[[layer]]
activation = "sigmoid"
weight = {first}
bias = {row(hidden)}

[[layer]]
activation = "sigmoid"
weight = {second}
bias = {row(2)}

[data]
input = [[0.05, 0.10]]
target = [[0.01, 0.99]]

[train]
lr = 0.5
steps = {steps}
"""


def main() -> None:
    """Print both medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--hidden", type=int, default=4000)
    parser.add_argument("--steps", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        spec = Path(folder) / "large.toml"
        spec.write_text(spec_text(args.hidden, args.steps), encoding="utf-8")
        baseline = median_seconds(BASELINE, args.runs, folder)
        command = [sys.executable, "-m", "derive", str(spec), "--format", "json", "-o", "large.json"]
        derive = median_seconds(command, args.runs, folder)
    parameters = 2 * args.hidden + args.hidden + args.hidden * 2 + 2
    print(f"python -c 'import sympy, jinja2': {baseline:.3f} s (median of {args.runs})")
    print(
        f"derive --format json, 2-{args.hidden}-2 ({4 * args.hidden} weights, {parameters} parameters, "
        f"{args.steps} step(s)): "
        f"{derive:.3f} s (median of {args.runs})"
    )
    print(f"ratio: {derive / baseline:.2f} (goal: under 10)")


if __name__ == "__main__":
    main()
