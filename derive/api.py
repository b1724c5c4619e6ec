"""The Python API: load a network, derive it, render it. The command line is a thin layer over these three.

    >>> import derive
    >>> doc = derive.derive("mazur")
    >>> round(doc.quantities["grad_w5"], 9)
    0.082167041
    >>> markdown = doc.markdown()

In a notebook a Document shows itself as Markdown; ``derive.from_torch`` takes a live nn.Module.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from . import limits
from .engine.training import Training, train
from .errors import DeriveError, UsageError
from .network import Network
from .options import FORMATS, Options


def load(source: Network | str | os.PathLike | Mapping, trust_code: bool = False) -> Network:
    """A Network from a spec file's path, a built-in example's name, or a parsed spec dict.

    A spec's [torch] table imports a Python module, which runs its code: it is refused unless
    ``trust_code`` is True (the command line's --trust-code).
    """
    if isinstance(source, Network):
        return source
    if isinstance(source, Mapping):
        from .spec import network_from_dict

        return network_from_dict(dict(source), "<dict>", "network", trust_code=trust_code)
    if isinstance(source, (str, os.PathLike)):
        from .spec import load_spec

        return load_spec(os.fspath(source), trust_code=trust_code)
    raise UsageError(f"derive.load: expected a spec path, an example name or a dict, found {type(source).__name__}")


def derive(
    source: Network | str | os.PathLike | Mapping = "mazur", *, trust_code: bool = False, **options: Any
) -> "Document":
    """The derivation of a network (or of the spec it is loaded from), with ``Options`` given by keyword."""
    network = load(source, trust_code=trust_code)
    return Document(network, Options(**options))


class Document:
    """One network derived under one set of options: its numbers now, each rendering when asked for."""

    def __init__(self, network: Network, options: Options | None = None) -> None:
        self.network = network
        self.options = options or Options()
        if self.options.format != "json":
            limits.check_document_size(network, self.options)  # before any work: a refusal comes at once
        try:
            self.training: Training = train(network)
        except OverflowError:
            raise limits.overflow(network) from None
        limits.check_finite(network, self.training)

    @cached_property
    def derivation(self) -> Any:
        """The frozen document model: sections over quantities (built on first use)."""
        from .derivation import derive_document

        options = self.options
        derivation = derive_document(
            self.network, self.training, options.notation, options.only, options.style, options.precision
        )
        if options.verify:  # imports torch; a disagreement raises VerificationError before any file is written
            from .verify.report import verification_section

            derivation = dataclasses.replace(
                derivation, sections=derivation.sections + (verification_section(derivation),)
            )
        if options.rounding == "carry":
            from .derivation.carry import carry_derivation

            derivation = carry_derivation(derivation, options.precision)
        return derivation

    @cached_property
    def quantities(self) -> dict[str, float]:
        """Every quantity's value by ID (``grad_w5``, ``out_h1@2``), as the float64 nearest the exact value."""
        from .engine.arithmetic import to_float

        return {key: to_float(value) for key, value in self._values().items()}

    def _values(self) -> dict[str, Any]:
        """Every quantity's value by ID: exact, or as carried by hand under --rounding carry."""
        if self.options.rounding == "carry":
            return self.derivation.quantities.values_by_id()
        from .derivation import quantities_of

        return quantities_of(self.network, self.training, self.options.notation)

    def markdown(self, figures: str | None = None) -> str:
        """The derivation as Markdown; ``figures`` names the folder (beside the file) whose SVG figures it links."""
        from .render.markdown import render_markdown

        return render_markdown(self.derivation, self.options.precision, self.options.lang, figures)

    def figures(self) -> dict[str, str]:
        """The SVG figures by file name: network.svg, graph.svg (--style graph), loss.svg (with matplotlib)."""
        from .render.svg_files import figure_files

        return figure_files(self.derivation, self.options.lang)

    def latex(self) -> str:
        """The derivation as a complete LaTeX article."""
        from .render.latex import render_latex

        return render_latex(self.derivation, self.options.precision, self.options.lang)

    def html(self) -> str:
        """The derivation as one standalone HTML page (KaTeX from the CDN, or from ``Options.katex``)."""
        from .render.html import render_html

        return render_html(self.derivation, self.options.precision, self.options.lang, self.options.katex)

    def pdf(self) -> bytes:
        """The LaTeX article compiled to PDF (needs pdflatex)."""
        from .render.pdf import render_pdf

        return render_pdf(self.derivation, self.options.precision, self.options.lang)

    def json(self) -> str:
        """The derive-json/1 text, with every quantity by ID."""
        from .render.json import json_payload

        import json

        payload = json_payload(self.network, self.training, self._values())
        if self.options.rounding == "carry":
            payload["rounding"] = {"convention": "carry", "decimals": self.options.precision}
        if self.options.verify:
            from .verify.compare import verification_summary

            payload["verification"] = verification_summary(self.network, self.training)
        return json.dumps(payload, indent=2) + "\n"

    def render(self, format: str | None = None) -> bytes:
        """The document in ``format`` (default: the options' format) as bytes."""
        chosen = format or self.options.format
        if chosen not in FORMATS:
            raise UsageError(f"expected one of {', '.join(FORMATS)}, found {chosen!r}")
        if chosen == "pdf":
            return self.pdf()
        return getattr(self, chosen)().encode()

    def _repr_markdown_(self) -> str:
        """Jupyter shows the Markdown (its $...$ math renders in the notebook)."""
        try:
            return self.markdown()
        except DeriveError as error:
            return f"derive: {error}"

    def _repr_latex_(self) -> str:
        """The LaTeX article, for front ends that take LaTeX (nbconvert to PDF)."""
        try:
            return self.latex()
        except DeriveError as error:
            return f"derive: {error}"

    def _repr_html_(self) -> str:
        """A notebook cell's view: the derivation as HTML with its figures inline; the notebook's MathJax sets the math.

        The whole page (``html()``) loads KaTeX itself, which a notebook's sandbox may not allow.
        """
        from .render.html import render_html

        try:
            return render_html(self.derivation, self.options.precision, self.options.lang, fragment=True)
        except DeriveError as error:
            import html

            return f"<p>derive: {html.escape(str(error))}</p>"


def from_torch(
    module: Any,
    input: Any,
    target: Any,
    *,
    loss: str = "half_sse",
    optimizer: Any = "sgd",
    lr: float | None = None,
    steps: int = 1,
    title: str | None = None,
    **settings: Any,
) -> Network:
    """A Network from a live ``nn.Module`` and its input and target tensors (or nested lists).

    ``optimizer`` is a name (with its settings as keywords: ``momentum=0.9``) or a torch.optim
    optimizer, whose settings are read from it. The module's weights are read as the shortest
    decimals that round to them, as ``--from-torch`` does.
    """
    from .spec.torch_live import network_from_module

    return network_from_module(module, input, target, loss=loss, optimizer=optimizer, lr=lr, steps=steps,
                               title=title, settings=settings)
