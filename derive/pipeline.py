"""The pipeline in one place: spec -> Network -> document -> rendered bytes."""

from __future__ import annotations

import argparse

from .network import Network
from .options import Options


def load_network(args: argparse.Namespace) -> Network:
    """The network named on the command line: a spec file, a built-in example or a PyTorch module."""
    if args.from_torch:
        from .torch_cli import network_from_torch_arguments

        return network_from_torch_arguments(args)
    from .spec import load_spec

    return load_spec(args.spec or "mazur")


def render(network: Network, options: Options) -> bytes:
    """Derive ``network`` and render it as markdown, latex, json or pdf."""
    from . import render as renderers
    from .training import train

    training = train(network)
    if options.format == "json":
        return renderers.render_json(network, training).encode()
    from .derivation import build_document

    document = build_document(network, options.notation, training)
    if options.format == "markdown":
        return renderers.render_markdown(document, options.precision).encode()
    latex = renderers.render_latex(document, options.precision)
    if options.format == "latex":
        return latex.encode()
    from .output import compile_pdf

    pdf, _log = compile_pdf(latex)
    return pdf
