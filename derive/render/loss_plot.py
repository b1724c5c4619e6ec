"""The loss curve as SVG, drawn by matplotlib (an optional extra: ``pip install "backprop-derive[plot]"``), imported only here."""

from __future__ import annotations

import io

from ..derivation.model import Chart


def loss_svg(chart: Chart, title: str, x_label: str, y_label: str) -> str | None:
    """The chart as an SVG file, byte for byte the same on every run; None when matplotlib is not installed."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("svg", force=True)
    from matplotlib.figure import Figure

    # Chinese labels: a CJK font after DejaVu, which lacks their glyphs (matplotlib falls back to it to measure;
    # the SVG keeps the text as text, and a browser sets it from the same list).
    settings = {"svg.hashsalt": "derive", "svg.fonttype": "none", "font.size": 9,
                "font.family": ["DejaVu Sans", "WenQuanYi Micro Hei", "Noto Sans CJK SC", "sans-serif"]}
    with matplotlib.rc_context(settings):
        figure = Figure(figsize=(6.0, 3.2))
        axes = figure.add_subplot()
        axes.plot(chart.steps, chart.losses, marker="o", markersize=3, linewidth=1.2, color="#1f4e9c")
        if chart.log_scale:
            axes.set_xscale("log")
        axes.set_title(title)
        axes.set_xlabel(x_label)
        axes.set_ylabel(y_label)
        axes.grid(True, linewidth=0.3)
        figure.tight_layout()
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": "derive"})
    return out.getvalue()
