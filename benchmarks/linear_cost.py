"""Time full Markdown derivations of 4-layer sigmoid MLPs (widths 4, 8, 16) against `import sympy, jinja2`,
and naive sympy.diff of the composed loss, for comparison.

Run: python benchmarks/linear_cost.py [--naive-budget SECONDS]
Goals: at most 4x the import time for 1,088 parameters (design v2; it was 25x in issue 3).
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from startup import BASELINE, interleaved_medians

LAYERS = 4
WIDTHS = (4, 8, 16)


def spec_text(width: int, layers: int = LAYERS, seed: int = 0) -> str:
    """A sigmoid MLP spec with ``layers`` layers of ``width`` neurons and two-decimal weights."""
    rng = random.Random(seed)

    def row(n: int) -> str:
        return "[" + ", ".join(f"{rng.randint(-99, 99) / 100}" for _ in range(n)) + "]"

    lines = []
    for _ in range(layers):
        lines += ['[[layer]]', 'activation = "sigmoid"', "weight = [" + ", ".join(row(width) for _ in range(width)) + "]"]
        lines.append("bias = " + row(width))
    lines += ["[data]", "input = " + row(width), "target = [" + ", ".join(f"{rng.randint(1, 99) / 100}" for _ in range(width)) + "]"]
    return "\n".join(lines) + "\n"


NAIVE = """
import sys, time, sympy as sp
width, layers = int(sys.argv[1]), int(sys.argv[2])
import random
rng = random.Random(0)
x = [sp.Rational(rng.randint(0, 99), 100) for _ in range(width)]
t = [sp.Rational(rng.randint(1, 99), 100) for _ in range(width)]
params, values, a = [], {}, x
for l in range(layers):
    nxt = []
    for j in range(width):
        z = 0
        for k in range(width):
            w = sp.Symbol(f"w{l}_{j}_{k}"); params.append(w); values[w] = sp.Rational(rng.randint(-99, 99), 100)
            z += w * a[k]
        b = sp.Symbol(f"b{l}_{j}"); params.append(b); values[b] = sp.Rational(rng.randint(-99, 99), 100)
        nxt.append(1 / (1 + sp.exp(-(z + b))))
    a = nxt
loss = sum(sp.Rational(1, 2) * (ti - ai) ** 2 for ti, ai in zip(t, a))
start = time.perf_counter()
sp.diff(loss, params[0]).xreplace(values).evalf(30)
print(time.perf_counter() - start, len(params))
"""


def naive_per_parameter(width: int, budget: float) -> tuple[float, int] | None:
    """Seconds for one parameter by naive diff of the composed loss (first-layer weight), or None past the budget."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", NAIVE, str(width), str(LAYERS)], capture_output=True, text=True, timeout=budget
        )
    except subprocess.TimeoutExpired:
        return None
    seconds, count = done.stdout.split()
    return float(seconds), int(count)


def main() -> None:
    """Print each derivation's time and its ratio to the import baseline, then the naive-diff comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--naive-budget", type=float, default=60.0, help="seconds allowed for one naive diff")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for width in WIDTHS:  # each beside its own baseline runs, so that both see the same load
            path = Path(folder) / f"mlp{width}.toml"
            path.write_text(spec_text(width))
            command = [sys.executable, "-m", "derive", str(path), "-o", "out.md"]
            baseline, seconds = interleaved_medians([BASELINE, command], 5, folder)
            parameters = LAYERS * (width * width + width)
            size = (Path(folder) / "out.md").stat().st_size
            print(
                f"{LAYERS} layers of width {width:2d} ({parameters:5d} parameters): {seconds:6.2f} s = "
                f"{seconds / baseline:5.2f}x import ({baseline:.2f} s); document {size / 1e6:.2f} MB"
            )
    print("naive sympy.diff of the composed loss, one first-layer weight:")
    for width in (1, 2, 3, 4):
        result = naive_per_parameter(width, args.naive_budget)
        if result is None:
            print(f"  width {width}: did not finish within {args.naive_budget:.0f} s")
            break
        seconds, count = result
        print(f"  width {width} ({count} parameters): {seconds:.2f} s per parameter, about {seconds * count:.0f} s for all")


if __name__ == "__main__":
    main()
