"""Limits on what derive takes in, each with the reason for its value.

A spec is hand-written text, so derive refuses input that would make it run for hours, exhaust
memory or print a document nobody can read, with a message that says what to do instead, rather
than trying and failing late. Measured on the development machine (Python 3.11, one core):

- A document derived in full takes about half an A4 page, or 33 Markdown lines, per parameter:
  the seed's 12 parameters fill 8 pages, a 14-14-14 network's 420 parameters 217 pages.
- Building a document costs about 6 ms per parameter even when few are derived in full, because
  the forward pass, the summary tables and the matrix form still list every unit and parameter
  (a 2-1000-2 network, 5002 parameters: 25 s with --only w1, 35 s with --style matrix).
- JSON skips the document: the 2-4000-2 network (20,002 parameters) takes about 2.4 s
  (benchmarks/json_large.py), and each further float64 step about 25 microseconds per
  parameter and sample.
"""

from __future__ import annotations

import math
from typing import Any

from .errors import DeriveError, UsageError
from .network import Network

MAX_SPEC_BYTES = 16 * 1024 * 1024
"""Largest spec file read. A spec of the 2-4000-2 network is 110 kB; reading stops here so that
``/dev/zero`` or a huge file by mistake fails at once instead of filling memory."""

MAX_NESTING = 32
"""Deepest nesting of arrays and inline tables. A spec needs 2 (a weight matrix); tomllib parses
nesting recursively, and a few hundred levels would exhaust Python's stack."""

MAX_TITLE_CHARACTERS = 500
"""Longest title: it is one heading line, in the document and in the PDF's title block."""

MAX_STEPS = 100_000
"""Most optimizer steps. The seed needs 0.35 ms per float64 step, so 100,000 steps take 35 s."""

MAX_EXACT_WORK = 400_000
"""Most parameter-samples (parameters x batch size) in the first step, which is computed exactly
(rationals, and every transcendental value at 50 and 120 digits to recognise exact cancellations)
and again in float64, at about 450 microseconds each: some three minutes at most (the seed with a
batch of 20,000 samples, 240,000 parameter-samples: 100 s as JSON). The 2-4000-2 network with one
sample is 20,002."""

MAX_TRAINING_WORK = 10_000_000
"""Most parameter-sample-steps (parameters x batch size x steps) of float64 training after the
first step, about four minutes of pure-Python arithmetic at 25 microseconds each."""

MAX_DERIVED_PARAMETERS = 1100
"""Most parameters a Markdown, LaTeX or PDF document derives in full (every parameter, or those
named by --only). Typical hand examples (2-2-2, 2-3-1, 4-4-4) have 6 to 40. The largest network
the project promises to derive in full is 4 layers of width 16 (1,088 parameters, about 500 pages,
benchmarks/linear_cost.py); 1,100 admits it, and an MNIST-sized layer (784 inputs, 1,570 or more
parameters) is refused with advice."""

MAX_DOCUMENT_PARAMETERS = 2000
"""Most parameters in a document at all, with --only or --style matrix: its tables still list
every parameter (about 10 Markdown lines each) and building it costs about 6 ms per parameter,
so 2000 parameters give some 20,000 lines in about 15 s. Larger networks: --format json."""

MAX_DOCUMENT_SAMPLE_WORK = 2_400
"""Most parameter-samples (parameters x samples of the first batch) in a Markdown, LaTeX or PDF
document: its data table and loss section have a line per sample and its batch tables a row per
sample and neuron, so a document's length grows with both. The seed's 12 parameters with a batch
of 200 (35 pages, its PDF in about 6 s) and 4 layers of width 16 (1,088 parameters) with 2 samples
are the largest. A batch of 1,000 gave 415 pages, which nobody prints, and its PDF took a minute.
Larger batches: train.batch_size derives a smaller first mini-batch, --format json gives every number."""

DOCUMENT_FORMATS = ("markdown", "latex", "pdf")


def samples_problem(parameters: int, batch: int) -> str | None:
    """Why a batch is too large for the exactly derived first step, or None when it fits."""
    if parameters * batch > MAX_EXACT_WORK:
        most = max(1, MAX_EXACT_WORK // parameters)
        return (
            f"at most {most:,} samples for {parameters:,} parameters (parameters x samples "
            f"at most {MAX_EXACT_WORK:,} for the exact first step)"
        )
    return None


def steps_problem(parameters: int, batch: int, steps: int) -> str | None:
    """Why ``steps`` optimizer steps are too many for this network, or None when they fit."""
    if steps > MAX_STEPS:
        return f"at most {MAX_STEPS:,} steps"
    if parameters * batch * (steps - 1) > MAX_TRAINING_WORK:
        most = 1 + MAX_TRAINING_WORK // (parameters * batch)
        return (
            f"at most {most:,} steps for {parameters:,} parameters and {batch:,} "
            f"sample{'' if batch == 1 else 's'} "
            f"(parameters x samples x steps at most {MAX_TRAINING_WORK:,}, "
            "a few minutes of arithmetic)"
        )
    return None


def check_document_size(network: Network, options: Any) -> None:
    """Refuse a document too large to read (or to build in reasonable time); JSON is never refused.

    ``options`` is an Options: its ``format``, ``only`` and ``style`` decide what is derived in full.
    """
    if options.format not in DOCUMENT_FORMATS:
        return
    total = network.parameter_count
    where = network.source or network.name
    samples = len(network.batches()[0])
    if options.style == "matrix" or options.only:
        if total > MAX_DOCUMENT_PARAMETERS:
            raise UsageError(
                f"{where}: the network has {total:,} parameters; a document lists at most "
                f"{MAX_DOCUMENT_PARAMETERS:,}, even with --only or --style matrix. "
                "Use --format json for every number."
            )
        if options.style == "matrix":
            _check_sample_work(where, total, samples)
            return
    derived = len(set(options.only)) if options.only else total
    if derived > MAX_DERIVED_PARAMETERS:
        what = "--only names" if options.only else "the network has"
        advice = (
            "Name fewer with --only, use --style matrix, or --format json for every number."
            if options.only
            else "Use --only w1,b1 to derive a few in full, --style matrix for the matrix form,"
            " or --format json for every number."
        )
        raise UsageError(
            f"{where}: {what} {derived:,} parameters; a document derives at most "
            f"{MAX_DERIVED_PARAMETERS:,} in full (derive/limits.py).\n{advice}"
        )
    _check_sample_work(where, total, samples)


def _check_sample_work(where: str, total: int, samples: int) -> None:
    # after the parameter limits, whose messages say more when a single sample is already too much
    if total * samples > MAX_DOCUMENT_SAMPLE_WORK:
        raise UsageError(
            f"{where}: the first batch has {samples:,} samples for {total:,} parameters; a document "
            f"derives at most {MAX_DOCUMENT_SAMPLE_WORK:,} parameter-samples (derive/limits.py).\n"
            "Set train.batch_size to derive a smaller first mini-batch, or use --format json for every number."
        )


def overflow(network: Network) -> DeriveError:
    """The refusal for training whose float64 arithmetic raised OverflowError (x ** 2 of a huge x
    raises in Python where PyTorch gives inf)."""
    where = network.source or network.name
    return DeriveError(
        f"{where}: the numbers overflow float64 (PyTorch's arithmetic, which derive computes beside the exact one). "
        "Use a smaller train.lr, smaller weights and inputs, or fewer train.steps."
    )


def check_finite(network: Network, training: Any) -> None:
    """Refuse training whose numbers overflow to infinity or NaN: JSON has no such numbers, and
    neither does a derivation anyone can follow. Float64 steps that diverge (a learning rate far
    too large, huge weights and inputs) end here with a clean message instead of NaN output.
    """
    where = network.source or network.name
    advice = "Use a smaller train.lr, smaller weights and inputs, or fewer train.steps."
    for step, loss in enumerate(getattr(training, "loss_history", ()), start=1):
        if not _finite(loss):
            raise DeriveError(f"{where}: the loss is {_shown(loss)} at step {step}; {advice}")
    parts = [
        ("the loss after the last step", getattr(training, "final_loss", None)),
        ("a value of the first step", getattr(training, "first", None)),
        ("a parameter after the last step", getattr(training, "final", None)),
    ]
    for label, part in parts:
        for value in _numbers(part):
            if not _finite(value):
                raise DeriveError(
                    f"{where}: {label} is {_shown(value)}: the numbers overflow float64. {advice}"
                )


def _numbers(value: Any):
    """Every number in nested lists, tuples, dicts and plain objects."""
    stack = [value]
    while stack:
        item = stack.pop()
        if item is None or isinstance(item, (str, bytes, bool)):
            continue
        if _is_number(item):
            yield item
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif hasattr(item, "__dict__"):
            stack.extend(vars(item).values())


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except OverflowError:
        return True
    except (TypeError, ValueError):
        return False
    return True


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False
    except (TypeError, ValueError):
        return True


def _shown(value: Any) -> str:
    try:
        number = float(value)
    except OverflowError:
        return "beyond float64's range"
    return "NaN" if math.isnan(number) else ("infinite" if math.isinf(number) else repr(number))
