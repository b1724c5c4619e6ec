"""The subcommands ``derive exercise [SPEC] ...`` and ``derive check SPEC ANSWERS.toml ...``."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

from ..engine.rounding import ROUNDINGS
from ..errors import UsageError
from ..options import MAX_PRECISION, Options
from .blanks import parse_blanks
from .model import DEFAULT_PRECISION, ExerciseOptions
from .output import FORMATS

EXERCISE_EXAMPLES = """\
examples:
  derive exercise                                   mazur: output/mazur-exercise/{sheet,key}.md, answers.json
  derive exercise --blanks deltas,gradients --hints  other blanks, with the formulas as hints
  derive exercise my_net.toml --variants 30 --seed 7 --format pdf    sheets.pdf, keys.pdf, overview
  derive exercise my_net.toml --variants 30 --seed 7 --format moodle moodle.xml: one Cloze question each
  derive exercise my_net.toml --variant 7-12        variant 12 of seed 7 again, alone

Variants are redrawn until they are not dull: no dead neuron, no saturated activation (a sigmoid
past |net| > 4), no output within 0.05 of its target, and every gradient shows two significant
digits at --precision decimal places. The spec's [exercise] table sets the grids they are drawn
from: weight_range, decimals, input_values, target_values, lr_values.
"""

CHECK_EXAMPLES = """\
examples:
  derive check mazur answers.toml                   mark a file of 'grad_w5 = 0.0822' lines
  derive check my_net.toml ada.toml --format json   a report for tools
  derive check my_net.toml ada.toml --tolerance 0.001

An answers file holds quantity IDs with numbers, and optionally student = "..." and
variant = "7-3" (the sheet's variant, drawn again from SPEC). Exit status: 0 all right,
3 some wrong, 2 bad input (an unknown ID, with the near miss suggested).
"""


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line usage error (exit status 2)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--precision", type=int, default=DEFAULT_PRECISION,
                   help=f"decimal places of the answers (default: {DEFAULT_PRECISION})")
    p.add_argument("--lang", default="en", help="the language of the text (default: en)")
    p.add_argument("--trust-code", action="store_true", help="let a spec's [torch] table run the module it names")


def exercise_parser() -> argparse.ArgumentParser:
    """The parser of ``derive exercise``."""
    p = _Parser(prog="derive exercise", description="Write a question sheet with blanks, its answer key and answers.json.",
                epilog=EXERCISE_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("spec", nargs="?", default=None, help="a spec TOML file or a built-in example name (default: mazur)")
    p.add_argument("--blanks", help="groups (forward, loss, deltas, gradients, updates, all) or quantity IDs, "
                   "comma-separated (default: gradients,updates)")
    p.add_argument("--hints", action="store_true", help="keep the formulas on the sheet")
    p.add_argument("--format", "-f", choices=FORMATS, default="markdown", help="output format (default: markdown)")
    p.add_argument("--rounding", choices=ROUNDINGS, default="exact",
                   help="the key's convention: exact (default) or carry (every step rounded and used rounded)")
    p.add_argument("--variants", type=int, metavar="N", help="draw N variants of the network (a class set)")
    p.add_argument("--seed", type=int, default=1, metavar="S", help="the seed of the variants (default: 1)")
    p.add_argument("--variant", metavar="S-K", help="draw variant K of seed S again, alone")
    p.add_argument("-o", "--output", metavar="DIR", help="the folder to write (default: output/<name>-exercise/)")
    _common(p)
    return p


def check_parser() -> argparse.ArgumentParser:
    """The parser of ``derive check``."""
    p = _Parser(prog="derive check", description="Mark a student's answers file, with error carried forward.",
                epilog=CHECK_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("spec", help="the spec the sheet was made from (a file or a built-in example name)")
    p.add_argument("answers", help="the student's answers file (TOML)")
    p.add_argument("--rounding", choices=ROUNDINGS, help="accept only this convention (default: exact or carry)")
    p.add_argument("--tolerance", help="also accept answers within this absolute difference")
    p.add_argument("--blanks", help="the sheet's blanks: those not answered count as missing")
    p.add_argument("--format", "-f", choices=("text", "json"), default="text", help="report format (default: text)")
    _common(p)
    return p


def main(argv: list[str]) -> int:
    """Run ``exercise`` or ``check`` (argv[0]) with the arguments after it; return the exit status."""
    from ..cli import run_guarded

    command, rest = argv[0], argv[1:]
    parser = exercise_parser() if command == "exercise" else check_parser()
    try:
        args = parser.parse_args(rest)
    except SystemExit as exit:
        return exit.code if isinstance(exit.code, int) else 2
    return run_guarded(lambda: run_exercise(args) if command == "exercise" else run_check(args))


def _options(args: argparse.Namespace) -> ExerciseOptions:
    Options(precision=args.precision, lang=args.lang)  # the shared checks of --precision and --lang
    if args.precision < 1:
        raise UsageError(f"--precision: expected a whole number from 1 to {MAX_PRECISION}, found {args.precision}")
    blanks = parse_blanks(getattr(args, "blanks", None))
    return ExerciseOptions(blanks, args.precision, getattr(args, "rounding", None) or "exact",
                           getattr(args, "hints", False), args.lang)


def run_exercise(args: argparse.Namespace) -> int:
    """Draw, derive and render the exercise set, then write its files."""
    from ..api import load
    from .model import build_exercise, build_exercises
    from .output import class_files, sheet_files
    from .variants import draw_variant, draw_variants, parse_variant_id

    options = _options(args)
    if args.variants is not None and args.variant is not None:
        raise UsageError("--variants draws a class set and --variant one sheet of it: give one of them")
    if args.variants is not None and not 1 <= args.variants <= MAX_VARIANTS:
        raise UsageError(f"--variants: expected a number from 1 to {MAX_VARIANTS}, found {args.variants}")
    if args.seed < 0:
        raise UsageError(f"--seed: expected a whole number of at least 0, found {args.seed}")
    network = load("mazur" if args.spec is None else args.spec, trust_code=args.trust_code)
    folder = Path(args.output) if args.output else Path("output") / f"{network.name}-exercise"
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"-o {folder}: is a file; give a folder to write the exercise set into")
    if args.variants is not None:
        variants = draw_variants(network, args.seed, args.variants, options.precision)
        files = class_files(build_exercises(variants, options), args.format, args.seed)
    elif args.variant is not None:
        variant = draw_variant(network, *parse_variant_id(args.variant), options.precision)
        files = sheet_files(build_exercise(variant.network, options, variant), args.format)
    else:
        files = sheet_files(build_exercise(network, options), args.format)
    write_files(folder, files)
    print(f"derive: wrote {len(files)} files to {folder}/", file=sys.stderr)
    return 0


MAX_VARIANTS = 500  # a class set of 500 sheets is about a minute of work; more is a typo


def write_files(folder: Path, files: dict[str, bytes]) -> None:
    """Write every file under ``folder`` (made if missing), each atomically."""
    from ..files import reason, write_atomic

    try:
        for name, data in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, data)
    except OSError as error:
        raise UsageError(f"-o {folder}: cannot write the exercise set: {reason(error)}") from None


def run_check(args: argparse.Namespace) -> int:
    """Mark the answers file and print the report; 0 when every answer earns credit, else 3."""
    from ..api import Document, load
    from .blanks import choose_blanks
    from .answer_file import read_answers
    from .check import Checker
    from .report import json_report, text_report
    from .variants import draw_variant, parse_variant_id

    options = _options(args)
    tolerance = _tolerance(args.tolerance)
    answers = read_answers(args.answers)
    network = load(args.spec, trust_code=args.trust_code)
    if answers.variant is not None:
        seed, index = parse_variant_id(answers.variant, f"{args.answers}: variant")
        network = draw_variant(network, seed, index, options.precision).network
    derivation = Document(network, Options(precision=options.precision, lang=options.lang)).derivation
    expected = choose_blanks(derivation, options.blanks) if args.blanks else ()
    checker = Checker(derivation, options.precision, args.rounding, tolerance)
    report = checker.check(answers, args.spec, expected)
    if args.format == "json":
        sys.stdout.write(json_report(report, checker, options.lang))
    else:
        sys.stdout.write(text_report(report, checker, options.lang))
    return 0 if report.all_right else 3


def _tolerance(text: str | None) -> Fraction | None:
    if text is None:
        return None
    try:
        value = Fraction(Decimal(text))
    except (InvalidOperation, ValueError, OverflowError):
        raise UsageError(f"--tolerance: expected a number such as 0.001, found {text!r}") from None
    if value < 0:
        raise UsageError(f"--tolerance: expected a number of at least 0, found {text!r}")
    return value
