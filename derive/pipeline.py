"""The pipeline in one place: spec -> Network -> document -> rendered bytes."""

from __future__ import annotations

import argparse
from dataclasses import replace

from .network import Network
from .options import Options


def load_network(args: argparse.Namespace) -> Network:
    """The network named on the command line: a spec file, a built-in example or a PyTorch module."""
    if args.from_torch:
        from .torch_cli import network_from_torch_arguments

        return network_from_torch_arguments(args)
    from .spec import load_spec
    from .torch_cli import reject_torch_options  # imports no torch

    reject_torch_options(args)

    return load_spec(args.spec or "mazur")


def render(network: Network, options: Options) -> bytes:
    """Derive ``network`` and render it as markdown, latex, json or pdf."""
    from . import render as renderers
    from .limits import check_document_size, check_finite, overflow
    from .training import train

    check_document_size(network, options)  # before any work: a refusal comes at once
    try:
        training = train(network)
    except OverflowError:
        raise overflow(network) from None
    check_finite(network, training)
    if options.format == "json":
        text = renderers.render_json(network, training)
        if options.verify:
            from .verification import add_verification_to_json

            text = add_verification_to_json(text, network, training)
        return text.encode()
    from .derivation import build_document

    document = build_document(network, options.notation, training, options.only, options.style, options.precision)
    if options.verify:  # imports torch; a disagreement raises VerificationError before any file is written
        from .verification import verification_section

        section = verification_section(network, training, options.notation)
        document = replace(document, sections=document.sections + (section,))
    if options.format == "markdown":
        return renderers.render_markdown(document, options.precision).encode()
    latex = renderers.render_latex(document, options.precision)
    if options.format == "latex":
        return latex.encode()
    from .output import compile_pdf

    pdf, _log = compile_pdf(latex)
    return pdf
