"""Languages: every catalogue is complete, a new language needs no code change, and the PDF engine
follows the text (pdflatex, or xelatex with ctex where there are CJK characters).

A throwaway pseudo-locale, ``xx``, brackets the text of every English message (⟦…⟧) and is loaded from a temporary
folder through DERIVE_CATALOGUE_PATH, exactly as a translator's new catalogue would be: any text of a
document outside the brackets (and outside math, code and the user's own text) was never looked up in
the catalogue, and so could not be translated.
"""

from __future__ import annotations

import json
import re
import string
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import EXAMPLES, ROOT, require_cjk_fallback_font, require_pdftotext, require_xelatex, run_cli
from derive.api import Document, load
from derive.components import ACTIVATIONS, LOSSES, OPTIMIZERS
from derive.options import Options
from derive.render.escape import escape_latex, is_cjk
from derive.render.pdf import compile_pdf, engine_of
from derive.text.catalogue import LATEX_ENGINES, PATH_VARIABLE, Catalogue, catalogue, languages
from test_catalogue import placeholders, templates as texts


def english_messages() -> dict[str, Any]:
    """Every message a document can print, in English: en.toml's and the components' own words."""
    messages = dict(catalogue("en").messages)
    for family in (ACTIVATIONS, LOSSES, OPTIMIZERS):
        for cls in family:
            for name, text in cls.messages.items():
                messages.setdefault(cls.message_key(name), text)
    return messages


OTHER_LANGUAGES = [language for language in languages() if language != "en"]


# ---------------------------------------------------------------- every catalogue is complete


def test_there_is_a_language_besides_english() -> None:
    assert "zh" in OTHER_LANGUAGES


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_no_message_is_missing_or_unknown(language: str) -> None:
    """Every English key (en.toml's and the components' messages) is in the catalogue, and nothing else."""
    english, other = english_messages(), catalogue(language).messages
    missing_keys = sorted(set(english) - set(other))
    unknown_keys = sorted(set(other) - set(english))
    assert not missing_keys, f"{language}.toml lacks {len(missing_keys)} messages: " + ", ".join(missing_keys)
    assert not unknown_keys, f"{language}.toml has messages English does not: " + ", ".join(unknown_keys)


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_every_placeholder_is_used_and_no_other(language: str) -> None:
    english, other = english_messages(), catalogue(language).messages
    wrong = []
    for key, entry in sorted(english.items()):
        if key not in other:
            continue  # reported by the test above
        expected = set().union(*(placeholders(text) for text in texts(entry)))
        for text in texts(other[key]):
            if placeholders(text) != expected:
                wrong.append(f"{key}: {sorted(placeholders(text))} instead of {sorted(expected)}")
    assert not wrong, f"{language}.toml:\n" + "\n".join(wrong)


@pytest.mark.parametrize("language", languages())
def test_the_meta_table_names_a_plural_rule_a_separator_and_an_engine(language: str) -> None:
    words = catalogue(language)
    assert words.plural in ("one-other", "none")
    assert isinstance(words.sentence_separator, str)
    assert words.latex_engine in LATEX_ENGINES
    assert words.latex_scheme in ("plain", "chinese")


def test_a_language_without_plurals_takes_one_text_for_every_count() -> None:
    from derive.text.message import msg

    words = Catalogue("xx", {"meta": {"plural": "none"}, "count": {"step": "{count} 步"}})
    assert words.template(msg("count.step", count=1)) == words.template(msg("count.step", count=5)) == "{count} 步"


# ---------------------------------------------------------------- a pseudo-locale: adding a language is data


def bracketed(entry: Any) -> Any:
    """Each run of text between placeholders in brackets ("⟦Activation: ⟧{words}⟦, ⟧{formula}⟦.⟧"), so that
    text outside brackets, even inside another message, was never looked up."""
    if isinstance(entry, dict):
        return {form: bracketed(text) for form, text in entry.items()}
    out = []
    for literal, field, _, _ in string.Formatter().parse(entry):
        if literal:
            out.append("⟦" + literal.replace("{", "{{").replace("}", "}}") + "⟧")
        if field is not None:
            out.append("{" + field + "}")
    return "".join(out)


def toml_table(table: dict, prefix: str = "") -> list[str]:
    """A nested dict of strings as TOML: plain keys first, then the sub-tables."""
    lines = [f"{json.dumps(key)} = {json.dumps(value, ensure_ascii=False)}" for key, value in table.items()
             if not isinstance(value, dict)]
    for key, value in table.items():
        if isinstance(value, dict):
            name = f"{prefix}.{json.dumps(key)}" if prefix else json.dumps(key)
            lines += ["", f"[{name}]"] + toml_table(value, name)
    return lines


def pseudo_locale() -> str:
    """The xx catalogue: every English message (en.toml's and the components') in brackets."""
    nested: dict = {"meta": {"language": "pseudo", "plural": "one-other", "sentence_separator": " "}}
    for key, entry in english_messages().items():
        *tables, last = key.split(".")
        place = nested
        for table in tables:
            place = place.setdefault(table, {})
        place[last] = bracketed(entry)
    return "\n".join(toml_table(nested)) + "\n"


@pytest.fixture
def xx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The pseudo-locale xx in a temporary folder that derive searches for catalogues."""
    folder = tmp_path / "catalogues"
    folder.mkdir()
    (folder / "xx.toml").write_text(pseudo_locale(), encoding="utf-8")
    monkeypatch.setenv(PATH_VARIABLE, str(folder))
    return folder


FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
DISPLAY = re.compile(r"\$\$\n.*?\n\$\$", re.S)
INLINE = re.compile(r"(?<![\\$])\$(?!\$)(?:[^$\\]|\\.)+?\$")
CODE_SPAN = re.compile(r"(`+).+?\1")
BRACKETED = re.compile(r"⟦[^⟦⟧]*⟧")


def unbracketed(text: str) -> str:
    """The text with every bracketed run taken out."""
    return BRACKETED.sub(" ", text)


def untranslated(markdown: str, user_text: list[str]) -> list[str]:
    """Words of a pseudo-locale document that no catalogue message holds."""
    words = []
    for kind, body in FENCE.findall(markdown):
        if kind == "mermaid":  # the chart's title and axis labels are words
            words += re.findall(r"[A-Za-z]{2,}", unbracketed(" ".join(re.findall(r'"([^"]*)"', body))))
        else:  # the PyTorch listing: its comments are words, the rest is what print() shows
            comments = [line[2:] for line in body.splitlines() if line.startswith("# ")]
            words += [c for c in (unbracketed(c).strip() for c in comments) if c and not re.fullmatch(r"[\w.]+", c)]
    for inside in re.findall(r"\\text\{([^{}]*)\}", markdown):  # words set in formulas ("matrix", "otherwise")
        words += re.findall(r"[A-Za-z]{2,}", unbracketed(inside))
    text = INLINE.sub(" ", DISPLAY.sub(" ", FENCE.sub(" ", markdown)))
    text = CODE_SPAN.sub(" ", text)
    text = re.sub(r"(torch\.optim\.⟧)\w+", r"\1", text)  # torch.optim's class name (SGD) is a name
    for line in text.splitlines():
        for user in user_text:
            line = line.replace(user, " ")
        words += re.findall(r"[A-Za-z]{2,}", unbracketed(line))
    return words


def user_text(document: Document) -> list[str]:
    """What the spec wrote itself (title, a published source), which prints as written in every language."""
    from derive.render.escape import escape_markdown

    network = document.network
    found = [escape_markdown(title) for title in (network.title, *dict(network.titles).values()) if title]
    if network.published is not None:
        found.append(escape_markdown(network.published.source))
    return found


@pytest.mark.parametrize("style", ["scalar", "matrix"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_a_pseudo_locale_leaves_no_string_untranslated(xx: Path, name: str, style: str) -> None:
    assert "xx" in languages()
    document = Document(load(name), Options(lang="xx", style=style))
    markdown = document.markdown()
    assert markdown.count("⟦") > 20
    assert untranslated(markdown, user_text(document)) == []
    latex = document.latex()
    # the figure's caption is a message too (pdflatex has no ⟦, so it prints as [U+27E6])
    assert r"\caption{\texttt{[U+27E6]}" in latex or r"\caption{" not in latex
    cjk_title = any(is_cjk(c) for c in document.network.title)
    assert engine_of(latex) == ("xelatex" if cjk_title else "pdflatex")  # en.toml's default engine, unless CJK


def test_the_pseudo_locale_reaches_the_verification_section(xx: Path) -> None:
    from conftest import require_torch

    require_torch()
    document = Document(load("float64-relu-kink"), Options(lang="xx", verify=True))
    markdown = document.markdown()
    assert "## ⟦Verification against PyTorch⟧" in markdown
    assert untranslated(markdown, user_text(document)) == []


def test_the_command_line_takes_a_new_language_and_names_the_file_after_it(
        xx: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "output").mkdir()
    status, _, err = run_cli(["--lang", "xx"], capsys)
    assert status == 0, err
    assert (tmp_path / "output" / "mazur.xx.md").read_text(encoding="utf-8").startswith("# A step-by-step")


def test_a_catalogue_on_the_path_replaces_a_shipped_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "zh.toml").write_text(pseudo_locale(), encoding="utf-8")
    monkeypatch.setenv(PATH_VARIABLE, str(tmp_path))
    assert "## ⟦The forward pass⟧" in Document(load("mazur"), Options(lang="zh")).markdown()


# ---------------------------------------------------------------- the command line and the API


@pytest.mark.parametrize("args, written", [
    ([], "output/mazur.md"),
    (["--lang", "en"], "output/mazur.md"),
    (["--lang", "zh"], "output/mazur.zh.md"),
    (["mazur-classic", "--lang", "zh", "--format", "latex"], "output/mazur-classic.zh.tex"),
    (["--lang", "zh", "-o", "notes/"], "notes/mazur.zh.md"),
    (["--lang", "zh", "-o", "mine.md"], "mine.md"),
])
def test_the_default_file_name_carries_the_language(
        args: list[str], written: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "output").mkdir()
    (tmp_path / "notes").mkdir()
    status, _, err = run_cli(args, capsys)
    assert status == 0, err
    files = [str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()]
    figures = written.rpartition(".")[0] + ".figures/network.svg"  # a Markdown file's figure, which it links
    assert sorted(files) == sorted([written, figures] if written.endswith(".md") else [written])
    assert f"wrote {written}" in err


def test_an_unknown_language_is_refused_with_the_choices(capsys: pytest.CaptureFixture) -> None:
    status, out, err = run_cli(["--lang", "fr", "-o", "-"], capsys)
    assert status == 2 and out == ""
    assert "--lang: expected one of en, zh" in err and "'fr'" in err


def test_the_api_takes_lang() -> None:
    import derive

    assert derive.derive("mazur", lang="zh").markdown().split("\n## ")[1].startswith("网络结构")
    with pytest.raises(derive.UsageError, match="--lang"):
        derive.derive("mazur", lang="klingon")


# ---------------------------------------------------------------- the PDF engine follows the text


CJK_TITLE = "反向传播：逆伝播 バックプロパゲーション 역전파"


def titled(title: str, **options: Any) -> Document:
    import dataclasses

    return Document(dataclasses.replace(load("mazur"), title=title, titles=()), Options(**options))


def test_english_documents_keep_pdflatex_and_chinese_ones_take_xelatex_with_ctex() -> None:
    english = Document(load("mazur")).latex()
    assert engine_of(english) == "pdflatex" and "ctex" not in english and r"\usepackage{lmodern}" in english
    chinese = Document(load("mazur"), Options(lang="zh")).latex()
    assert engine_of(chinese) == "xelatex"
    assert chinese.startswith("\\documentclass[10pt]{article}\n% !TEX program = xelatex\n")  # an editor's hint
    assert r"\usepackage[UTF8, scheme=chinese, fontset=fandol]{ctex}" in chinese
    assert "fontenc" not in chinese  # T1 encoding is pdflatex's; xelatex sets Unicode fonts


def test_cjk_user_text_in_an_english_document_prints_as_itself_with_xelatex() -> None:
    latex = titled(CJK_TITLE + " 😀").latex()
    assert engine_of(latex) == "xelatex"
    assert r"\usepackage[UTF8, scheme=plain, fontset=fandol]{ctex}" in latex  # Western layout kept
    assert r"\title{" + CJK_TITLE + r" \texttt{[U+1F600]}}" in latex  # what no font has stays visible
    assert "The forward pass" in latex


def test_latin_text_is_escaped_for_pdflatex_as_before() -> None:
    assert escape_latex("中") == r"\texttt{[U+4E2D]}"
    assert escape_latex("中", cjk=True) == "中"
    assert escape_latex("a_b 中", cjk=True) == r"a\_b 中"


def test_a_cjk_title_prints_as_itself_in_an_english_pdf() -> None:
    require_xelatex()
    require_cjk_fallback_font()
    pdftotext = require_pdftotext()
    pdf, log = compile_pdf(titled(CJK_TITLE).latex())
    text = subprocess.run([pdftotext, "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert re.sub(r"\s", "", CJK_TITLE) in re.sub(r"\s", "", text)
    assert "The forward pass" in text
    assert "Missing character" not in log


def test_a_missing_engine_names_the_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    from derive.errors import ToolMissingError
    from derive.render import pdf

    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    with pytest.raises(ToolMissingError, match="xelatex was not found.*texlive-xetex texlive-lang-chinese"):
        compile_pdf(Document(load("mazur"), Options(lang="zh")).latex())
    with pytest.raises(ToolMissingError, match="pdflatex was not found"):
        compile_pdf(Document(load("mazur")).latex())


def test_the_catalogues_ship_with_the_package() -> None:
    packaged = {path.stem for path in (ROOT / "derive" / "text").glob("*.toml")}
    assert {"en", "zh"} <= packaged
