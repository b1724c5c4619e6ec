"""Chinese documents (--lang zh), read as a Chinese student reads them: no English sentence outside math,
code and the spec's own text, Chinese punctuation, math that GitHub sees as math, the same numbers as
the English document, the textbooks' terms, and a PDF set by xelatex with ctex.

``output/*.zh.*`` are checked against a fresh render (``pytest --update-golden`` rewrites them).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import (
    EXAMPLES, OUTPUT, ROOT, TESTS, check_golden, check_pdf_golden, rendered, require_cjk_fallback_font, require_katex,
                      require_pdftotext, require_torch, require_xelatex)
from derive.api import Document, load
from derive.options import Options
from derive.render.pdf import compile_pdf, engine_of
from derive.text.catalogue import catalogue
from test_language import CODE_SPAN, user_text

CASES = [(name, style) for name in EXAMPLES for style in ("scalar", "matrix")]
GOLDEN_MARKDOWN = ["mazur", "mazur-classic", "minibatch-adam"]  # minibatch-adam: mini-batches and Adam
GOLDEN_PDF = ["mazur"]

FENCE = re.compile(r"^```.*?^```", re.S | re.M)
DISPLAY = re.compile(r"\$\$\n(.*?)\n\$\$", re.S)
INLINE = re.compile(r"(?<![\\$])\$(?!\$)((?:[^$\\]|\\.)+?)\$")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
HAN = "\u3400-\u9fff"
CJK_PUNCTUATION = "，。：；、（）！？"


@pytest.fixture(scope="module")
def documents() -> dict[tuple[str, str], tuple[str, str, Document]]:
    """Every example in both styles: (Chinese Markdown, English Markdown, the Chinese document)."""
    found = {}
    for name, style in CASES:
        chinese = Document(load(name), Options(style=style, lang="zh"))
        found[(name, style)] = (chinese.markdown(), rendered(name, "markdown", style), chinese)
    return found


def prose(markdown: str, document: Document, filler: str = " ") -> str:
    """The document's own words, each formula, code, listing, chart and text of the spec's replaced by ``filler``."""
    text = CODE_SPAN.sub(filler, INLINE.sub(filler, DISPLAY.sub(filler, FENCE.sub(filler, markdown))))
    for user in user_text(document):
        text = text.replace(user, filler)
    return text


def english_runs(text: str) -> list[str]:
    """Two or more English words in a row (a name such as PyTorch or nn.MSELoss alone is fine)."""
    return re.findall(r"[A-Za-z][\w'’.()=-]*(?:\s+[A-Za-z][\w'’.()=-]*)+", text)


@pytest.mark.parametrize("case", CASES, ids=[f"{n}-{s}" for n, s in CASES])
def test_no_english_sentence_outside_math_code_and_names(documents: dict, case) -> None:
    markdown, _, document = documents[case]
    text = prose(markdown, document)
    assert english_runs(text) == []
    assert len(re.findall(f"[{HAN}]", text)) > 500


@pytest.mark.parametrize("case", CASES, ids=[f"{n}-{s}" for n, s in CASES])
def test_chinese_punctuation_and_spacing(documents: dict, case) -> None:
    markdown, _, document = documents[case]
    text = prose(markdown, document, "@")
    assert re.findall(f"[{HAN}][,;:!?]|[,;:!?] *[{HAN}]|[{HAN}]\\. ", text) == []  # ASCII punctuation in a sentence
    assert re.findall(f"[{HAN}{CJK_PUNCTUATION}] +[{HAN}]", text) == []  # a space between Chinese characters
    lines = [line for line in FENCE.sub("", DISPLAY.sub("", markdown)).splitlines() if "$" in line]
    for line in lines:
        for user in user_text(document):
            line = line.replace(user, "")
        for found in INLINE.finditer(line):
            before = line[found.start() - 1] if found.start() else " "
            after = line[found.end()] if found.end() < len(line) else " "
            # GitHub reads $...$ as math only after a space and not before a letter or digit; the
            # space before Chinese punctuation would show
            assert before in " |", f"{before!r} before {found.group(0)!r} in {line!r}"
            assert after in f" |{CJK_PUNCTUATION}" or not after.isalnum(), f"{after!r} after {found.group(0)!r}"
            assert not re.match(f" [{CJK_PUNCTUATION}]", line[found.end():]), line


def numbers_of(formula: str) -> list[str]:
    return NUMBER.findall(re.sub(r"\\text\{[^{}]*\}", "", formula))


def blocks(markdown: str) -> list[str]:
    return [block for block in FENCE.sub("```", markdown).split("\n\n") if block.strip()]


@pytest.mark.parametrize("case", CASES, ids=[f"{n}-{s}" for n, s in CASES])
def test_the_numbers_are_those_of_the_english_document(documents: dict, case) -> None:
    """The same quantities in the same order: block by block, the numbers of every display, table row and
    listing in sequence, and those of a paragraph's inline math as a whole (word order may move them)."""
    chinese, english, _ = documents[case]
    zh_blocks, en_blocks = blocks(chinese), blocks(english)
    assert len(zh_blocks) == len(en_blocks)
    for zh, en in zip(zh_blocks, en_blocks):
        if zh.startswith("$$") or zh.startswith("|"):
            assert numbers_of(zh) == numbers_of(en), (zh[:200], en[:200])
        else:
            zh_math = [numbers_of(m) for m in INLINE.findall(zh)]
            en_math = [numbers_of(m) for m in INLINE.findall(en)]
            assert Counter(map(tuple, zh_math)) == Counter(map(tuple, en_math)), (zh[:200], en[:200])
    zh_listing, en_listing = FENCE.findall(chinese), FENCE.findall(english)
    assert [NUMBER.findall(re.sub(r"#.*", "", f)) for f in zh_listing] == [NUMBER.findall(re.sub(r"#.*", "", f)) for f in en_listing]


def test_the_terms_are_the_textbooks_and_the_same_everywhere() -> None:
    """One term per idea (the glossary at the top of zh.toml), never a synonym a reader would stumble on."""
    text = json.dumps(catalogue("zh").messages, ensure_ascii=False)
    synonyms = {"前向传播": "正向传播", "后向传播": "反向传播", "反向传递": "反向传播", "权值": "权重",
                "偏差项": "偏置", "学习速率": "学习率", "误差信号": "误差项", "批次": "小批量", "迭代": "训练步",
                "代价函数": "损失函数", "激励函数": "激活函数", "隐层": "隐藏层", "神经单元": "神经元"}
    assert [word for word in synonyms if word in text] == []
    for term in ("正向传播", "反向传播", "链式法则", "损失", "误差项", "梯度", "学习率", "权重", "偏置", "激活函数",
                 "隐藏层", "输出层", "小批量", "动量", "净输入"):
        assert term in text, term


def test_a_chinese_title_prints_as_itself() -> None:
    document = Document(load("minibatch-adam"), Options(lang="zh"))
    title = document.network.title
    assert re.search(f"[{HAN}]", title)
    assert document.markdown().startswith(f"# {title}\n")
    assert r"\title{" + title + "}" in document.latex()


# ---------------------------------------------------------------- the Markdown's math, as KaTeX reads it


def formulas(markdown: str) -> list[tuple[str, bool]]:
    text = FENCE.sub("", markdown)
    found = [(body, True) for body in DISPLAY.findall(text)]
    return found + [(body, False) for body in INLINE.findall(DISPLAY.sub("", text))]


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_chinese_markdown_math_parses_in_katex(documents: dict, name: str) -> None:
    folder = require_katex()
    checked = formulas(documents[(name, "scalar")][0]) + formulas(documents[(name, "matrix")][0])
    done = subprocess.run(
        ["node", str(TESTS / "katex_check.js")], input=json.dumps(checked), capture_output=True, text=True, check=True,
        env=dict(os.environ, NODE_PATH=str(folder / "node_modules")),
    )
    assert json.loads(done.stdout) == []


# ---------------------------------------------------------------- PyTorch's sections, in Chinese too


@pytest.mark.parametrize("name", ["float64-relu-kink", "adam-step", "online-sgd"])
def test_the_verification_section_is_chinese(name: str) -> None:
    require_torch()
    document = Document(load(name), Options(lang="zh", verify=True))
    markdown = document.markdown()
    assert "\n## 与 PyTorch 对照验证\n" in markdown
    assert english_runs(prose(markdown, document)) == []


def test_a_module_read_from_pytorch_is_described_in_chinese(tmp_path: Path) -> None:
    require_torch()
    import argparse

    from derive.spec.torch_options import network_from_torch_arguments

    seed = TESTS / "fixtures" / "seed" / "seed_net.py"
    args = argparse.Namespace(spec=None, from_torch=f"{seed}:Net", input="0.05,0.10", target="0.01,0.99",
                              loss="half_sse", lr="0.5", steps=None, optimizer=None)
    document = Document(network_from_torch_arguments(args), Options(lang="zh"))
    markdown = document.markdown()
    assert "初始参数取自模块的 float32 张量" in markdown
    assert english_runs(prose(markdown, document)) == []


# ---------------------------------------------------------------- the PDF: xelatex, ctex, Fandol


def words_default_title() -> str:
    """The title of a spec that gives none, in Chinese."""
    return catalogue("zh").text("document.default_title")


def pdf_text(pdf: bytes) -> str:
    pdftotext = require_pdftotext()
    return subprocess.run([pdftotext, "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


@pytest.fixture(scope="module")
def chinese_pdfs() -> dict[str, tuple[bytes, str, Document]]:
    require_xelatex()
    require_cjk_fallback_font()
    documents = {name: Document(load(name), Options(lang="zh")) for name in ("mazur", "minibatch-adam")}
    with ThreadPoolExecutor(2) as pool:
        compiled = dict(zip(documents, pool.map(lambda d: compile_pdf(d.latex()), documents.values())))
    return {name: (*compiled[name], documents[name]) for name in documents}


HEADINGS = ["network.title", "forward.title", "loss.title", "backward.title", "update.title", "summary.title",
            "after.title", "pytorch.title"]


@pytest.mark.parametrize("name", ["mazur", "minibatch-adam"])
def test_the_chinese_pdf_reads_its_title_and_headings(chinese_pdfs: dict, name: str) -> None:
    pdf, log, document = chinese_pdfs[name]
    assert engine_of(document.latex()) == "xelatex"
    text = re.sub(r"\s", "", pdf_text(pdf))
    network = document.network
    assert re.sub(r"\s", "", dict(network.titles).get("zh", network.title) or words_default_title()) in text
    words = catalogue("zh")
    headings = [words.text(key) for key in HEADINGS]
    if document.network.updates > 1:
        headings.append("训练")
    for heading in headings:
        assert re.search(f"[{HAN}]", heading)
        assert re.sub(r"\s", "", heading) in text, heading
    assert "正向传播" in text and "链式法则" in text and "样本" in text
    assert not [line for line in log.splitlines() if "Overfull" in line]
    assert "Missing character" not in log


def test_the_chinese_pdf_carries_no_date_of_its_own(chinese_pdfs: dict) -> None:
    """xdvipdfmx takes its dates (and the ID made from them) from SOURCE_DATE_EPOCH=0, so the PDF is
    reproducible (comparing two compiles would cost a third xelatex run)."""
    pdf = chinese_pdfs["mazur"][0]
    dates = set(re.findall(rb"/(?:CreationDate|ModDate) ?\(D:(\d{8})", pdf))
    assert dates == {b"19700101"}


# ---------------------------------------------------------------- output/*.zh.*


@pytest.mark.parametrize("name", GOLDEN_MARKDOWN)
def test_the_chinese_markdown_in_output_is_current(name: str, update_golden: bool) -> None:
    document = Document(load(name), Options(lang="zh"))  # as `derive NAME --lang zh` writes it, with its figures
    check_golden(OUTPUT / f"{name}.zh.md", document.markdown(figures=f"{name}.zh.figures").encode(), update_golden)
    for file, svg in document.figures().items():
        check_golden(OUTPUT / f"{name}.zh.figures" / file, svg.encode(), update_golden)


@pytest.mark.parametrize("name", GOLDEN_PDF)
def test_the_chinese_pdf_in_output_was_compiled_from_the_current_latex(name: str, update_golden: bool) -> None:
    check_pdf_golden(OUTPUT / f"{name}.zh.pdf", Document(load(name), Options(lang="zh", format="pdf")), update_golden,
                     require_xelatex)


def test_ci_is_set_up_for_chinese() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    for package in ("texlive-xetex", "texlive-lang-chinese", "fonts-wqy-microhei"):
        assert package in script
