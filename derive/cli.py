"""The command line: python -m derive [SPEC] [--format ...] [-o PATH | -o -] [--precision N] ..."""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from . import __version__
from .errors import DeriveError, UsageError
from .network import Network
from .engine.rounding import ROUNDINGS
from .options import DEFAULT_PRECISION, EXTENSIONS, FORMATS, NOTATIONS, STYLES, Options
from .runtime import fewer_collections
from .text.catalogue import languages

EXAMPLES = """\
examples:
  derive                                   the seed network (built-in 'mazur') -> output/mazur.md
  derive --format latex                    a complete LaTeX article -> output/mazur.tex
  derive --format pdf                      the article compiled with pdflatex -> output/mazur.pdf
  derive --lang zh --format pdf            in Chinese, compiled with xelatex -> output/mazur.zh.pdf
  derive --format html                     one web page, math by KaTeX -> output/mazur.html
  derive cs231n-neuron --style graph       the computational graph, gate by gate, with SVG figures
  derive mazur-classic --precision 9 -o -  the original blog post's version, to stdout
  derive my_net.toml --format json -o my_net.json
  derive my_net.toml --format pdf -o docs/  writes docs/my_net.pdf (the folder must exist)
  derive net_with_torch_table.toml --trust-code   runs the module its [torch] table names
  derive --from-torch examples/seed_module.py:SeedNetwork --input 0.05,0.10 --target 0.01,0.99 --loss half_sse --lr 0.5
  derive --list                            the built-in examples, a line each

built-in examples: mazur (the default), mazur-classic and the others that derive --list names.
exit status: 0 done, 2 bad input, 1 internal error, 128+N stopped by signal N (130 for Ctrl-C).

subcommands (see derive exercise --help, derive check --help):
  derive exercise [SPEC] ...               a question sheet with blanks, its answer key, answers.json
  derive check SPEC ANSWERS.toml ...       mark a student's answers, with error carried forward
"""

DESCRIPTION_CHARACTERS = 100  # past this, a description stops at its first colon: the name of the thing, not its details


class Terminated(BaseException):
    """SIGTERM or SIGHUP, raised like KeyboardInterrupt so that clean-up code runs on the way out."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line usage error (exit status 2) instead of the whole usage text."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    """The argument parser, with examples in --help."""
    p = _Parser(
        prog="derive",
        description="Write one step of backpropagation out by hand, with every number, checked against PyTorch.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("spec", nargs="?", default=None, help="a spec TOML file or a built-in example name (default: mazur)")
    p.add_argument("--list", action="store_true", help="print the built-in examples, a line each, and exit")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}", help="print derive's version and exit")
    p.add_argument("--format", "-f", choices=FORMATS, default="markdown", help="output format (default: markdown)")
    p.add_argument(
        "-o", "--output",
        help="output file, a folder ending in / (it must exist; without the / a folder is refused), or - for "
        "stdout (default: output/<name>.<ext>); an existing file is replaced atomically and keeps its mode, "
        "a symlink's target is written, a read-only file or the spec itself is refused",
    )
    p.add_argument("--precision", type=int, default=DEFAULT_PRECISION, help=f"digits after the decimal point (default: {DEFAULT_PRECISION})")
    p.add_argument("--notation", choices=NOTATIONS, help="symbol names (default: mazur for one hidden layer, else indexed)")
    p.add_argument("--only", metavar="IDS", help="derive only these parameters in full, e.g. w5,b_h1 (the rest appear in the summary table)")
    p.add_argument("--style", choices=STYLES, default="scalar", help="scalar chains (default) or the same step in matrix form")
    p.add_argument(
        "--rounding", choices=ROUNDINGS, default="exact",
        help="exact (default): compute from unrounded values; carry: round every shown value to --precision "
        "decimals and compute on with it, as by hand",
    )
    p.add_argument(
        "--lang", default="en", metavar="LANG",
        help=f"the document's language: {', '.join(languages())} (default: en; zh writes output/<name>.zh.<ext>)",
    )
    p.add_argument("--katex", metavar="DIR", help="HTML: load KaTeX from this local copy (npm install katex) instead of its CDN")
    p.add_argument("--verify", action="store_true", help="run the network in PyTorch float64 and add a verification section (needs torch)")
    p.add_argument(
        "--trust-code", action="store_true",
        help="let a spec's [torch] table import and run the Python module it names (inside the spec's folder)",
    )
    torch_group = p.add_argument_group("from PyTorch (imports and runs the module's Python code)")
    torch_group.add_argument("--from-torch", metavar="FILE.py:NAME", help="take the layers and weights from an nn.Module")
    torch_group.add_argument("--input", help="input rows: values separated by ',', rows by ';'")
    torch_group.add_argument("--target", help="target rows: values separated by ',', rows by ';'")
    torch_group.add_argument("--loss", help="loss kind (default: half_sse)")
    torch_group.add_argument("--lr", help="learning rate (default: 0.5)")
    torch_group.add_argument("--steps", help="number of optimizer steps (default: 1)")
    torch_group.add_argument("--optimizer", help="sgd, adam or rmsprop (default: sgd)")
    return p


SUBCOMMANDS = ("exercise", "check")  # derive exercise ..., derive check ... (derive/exercise/cli.py)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in SUBCOMMANDS:
        from .exercise.cli import main as subcommand

        return subcommand(argv)
    try:
        args = parser().parse_args(argv)
    except SystemExit as exit:  # --help, or a usage error already reported in one line
        return exit.code if isinstance(exit.code, int) else 2
    if args.list:
        print(example_list(), end="")
        return 0
    return run_guarded(lambda: run(args))


def run_guarded(body: Callable[[], int | None]) -> int:
    """Run ``body``: its exit status (0 for None), a DeriveError's as one line on stderr, signals as 128+N."""
    try:
        with _signals_raised(), fewer_collections():
            status = body()
    except DeriveError as error:
        print(f"derive: {error}", file=sys.stderr)
        return error.exit_status
    except KeyboardInterrupt:
        return 128 + signal.SIGINT
    except Terminated as stop:
        return 128 + stop.signum
    except Exception as error:  # a bug: say so briefly; DERIVE_DEBUG=1 shows the traceback
        if os.environ.get("DERIVE_DEBUG"):
            raise
        print(f"derive: internal error: {type(error).__name__}: {error} (set DERIVE_DEBUG=1 for details)", file=sys.stderr)
        return 1
    return status or 0


def example_list() -> str:
    """The built-in examples, one a line: the name, then its description (see describe)."""
    from .resources import shipped_folder
    from .spec.files import builtin_examples

    names = builtin_examples()
    width = max((len(name) for name in names), default=0)
    folder = shipped_folder("examples")
    return "".join(f"{name:<{width}}  {describe(folder.joinpath(name + '.toml').read_text(encoding='utf-8'))}\n" for name in names)


def describe(spec: str) -> str:
    """A spec's one-line description: the first sentence of its leading comment, else its title, else nothing."""
    comment = []
    for line in spec.strip().splitlines():
        if not line.startswith("#"):
            break
        comment.append(line.lstrip("#").strip())
    text = " ".join(comment)
    if text:
        text = re.split(r"\s*Derive it with", text)[0]  # how to run it is no description
        sentence = re.split(r"(?<=\.)\s", text, maxsplit=1)[0].rstrip(".:")
        if len(sentence) > DESCRIPTION_CHARACTERS and ": " in sentence:
            sentence = sentence.split(": ", 1)[0]
        return sentence
    try:
        title = tomllib.loads(spec).get("title", "")
    except tomllib.TOMLDecodeError:
        return ""
    if isinstance(title, dict):  # titles by language
        title = title.get("en", "")
    return title if isinstance(title, str) else ""


def run(args: argparse.Namespace) -> None:
    """Load the network, derive it, render it and write it."""
    from .api import Document
    from .files import output_path, write_stdout

    options = Options(
        format=args.format,
        precision=args.precision,
        notation=args.notation,
        only=tuple(name.strip() for name in args.only.split(",") if name.strip()) if args.only else (),
        style=args.style,
        verify=args.verify,
        rounding=args.rounding,
        lang=args.lang,
        katex=args.katex,
    )
    if args.katex is not None:
        from .render.html import katex_source

        katex_source(args.katex)  # a folder without KaTeX is refused before the work
    network = load_network(args)
    path = None
    if args.output != "-":  # refused before the work: a read-only file or the spec itself
        path = output_path(args.output, default_stem(network.name, options.lang), EXTENSIONS[args.format], _inputs(args))
    document = Document(network, options)
    if path is None:
        write_stdout(document.render())
        return
    figures: dict[Path, bytes] = {}
    from .files import figure_folder

    folder = figure_folder(path) if args.format == "markdown" else None
    if folder is not None:  # the SVG figures beside the Markdown, in <name>.figures/, which it links
        data = document.markdown(figures=folder.name).encode()
        figures = {folder / name: svg.encode() for name, svg in document.figures().items()}
    else:
        data = document.render()
    write_files({**figures, path: data}, args.output or str(path))
    for file in [path, *figures]:
        print(f"derive: wrote {file}", file=sys.stderr)


def write_files(files: dict[Path, bytes], shown: str) -> None:
    """Write every file, each atomically; when one fails, the files this run created are taken back."""
    from .files import reason, write_atomic

    created: list[Path] = []
    try:
        for file, data in files.items():
            new = not os.path.lexists(file)
            write_atomic(file, data)
            if new:
                created.append(file)
    except BaseException as error:
        for file in created:
            file.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise UsageError(f"-o {shown}: cannot write the output: {reason(error)}") from None
        raise


def default_stem(name: str, lang: str) -> str:
    """The default output file's name without its extension: mazur, or mazur.zh in another language than English."""
    return name if lang == "en" else f"{name}.{lang}"


def _inputs(args: argparse.Namespace) -> list[str]:
    """The files the document is made from, which the output must never replace."""
    if args.from_torch:
        return [args.from_torch.rpartition(":")[0]]
    return [args.spec] if args.spec else []


@contextmanager
def _signals_raised() -> Iterator[None]:
    """SIGTERM and SIGHUP raise Terminated while the body runs (unless they are ignored, as under nohup)."""
    def raise_terminated(signum: int, _frame: object) -> None:
        raise Terminated(signum)

    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is None or signal.getsignal(number) != signal.SIG_DFL:
            continue
        try:
            previous[number] = signal.signal(number, raise_terminated)
        except ValueError:  # not the main thread (main() called from a worker): signals stay as they are
            break
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def load_network(args: argparse.Namespace) -> Network:
    """The network named on the command line: a spec file, a built-in example or a PyTorch module."""
    from .spec.torch_options import network_from_torch_arguments, reject_torch_options

    if args.from_torch:
        return network_from_torch_arguments(args)
    reject_torch_options(args)
    from .api import load

    return load("mazur" if args.spec is None else args.spec, trust_code=args.trust_code)
