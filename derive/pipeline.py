"""The pipeline in one place: spec -> Network -> document -> rendered bytes."""

from __future__ import annotations

import argparse

from .network import Network


def load_network(args: argparse.Namespace) -> Network:
    """The network named on the command line: a spec file, a built-in example or a PyTorch module."""
    if args.from_torch:
        from .torch_cli import network_from_torch_arguments

        return network_from_torch_arguments(args)
    from .spec import load_spec

    return load_spec(args.spec or "mazur")


def render(network: Network, kind: str, precision: int, notation: str | None = None) -> bytes:
    """Derive ``network`` and render it as markdown, latex, json or pdf."""
    from . import render as renderers
    from .derivation import build_document

    document = build_document(network, notation)
    if kind == "json":
        return renderers.render_json(document).encode()
    if kind == "markdown":
        return renderers.render_markdown(document, precision).encode()
    latex = renderers.render_latex(document, precision)
    if kind == "latex":
        return latex.encode()
    from .output import compile_pdf

    pdf, _log = compile_pdf(latex)
    return pdf
