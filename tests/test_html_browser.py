"""--format html in a real browser: every example's page in headless Chromium (Selenium and chromedriver).

Checked on the rendered page, not on our own HTML: every formula the source holds is typeset by
KaTeX (as many rendered formulas as math elements, no KaTeX error node), the first figure is
visible with a non-zero size, and the console logs no error. A screenshot of each page is saved in
the test's temporary folder.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Iterator

import pytest

from conftest import EXAMPLES, example_document, require_browser, require_katex
from derive.api import derive
from derive.render.html import render_html

PAGES = EXAMPLES + ["mazur@graph", "cs231n-neuron@graph"]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    chromium, chromedriver = require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1100,1400"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _page(name: str) -> str:
    example, _, style = name.partition("@")
    document = example_document(example, style or "scalar")
    katex = require_katex()
    return render_html(document.derivation, document.options.precision, "en", str(katex))


@pytest.mark.parametrize("name", PAGES)
def test_every_formula_is_typeset_and_the_figure_shows(name: str, browser, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    source = _page(name)
    expected = len(re.findall(r'<(?:span|div) class="math', source))
    page = tmp_path / f"{name.replace('@', '-')}.html"
    page.write_text(source, encoding="utf-8")
    browser.get(page.as_uri())
    WebDriverWait(browser, 20).until(lambda b: b.execute_script(
        "return document.querySelectorAll('.math').length === document.querySelectorAll('.math > .katex, .math > .katex-display').length"))
    assert len(browser.find_elements(By.CSS_SELECTOR, ".math")) == expected > 0
    assert browser.find_elements(By.CSS_SELECTOR, ".katex-error") == []
    figure = browser.find_element(By.CSS_SELECTOR, "figure svg")
    assert figure.is_displayed() and figure.size["width"] > 100 and figure.size["height"] > 50
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
    browser.save_screenshot(str(tmp_path / f"{name.replace('@', '-')}.png"))
    last = browser.find_elements(By.CSS_SELECTOR, "figure svg")[-1]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", last)
    browser.save_screenshot(str(tmp_path / f"{name.replace('@', '-')}-figure.png"))


def test_user_text_is_escaped() -> None:
    """A title with markup stays text: no element of the page comes from the spec."""
    document = derive({"title": "<script>alert(1)</script> & co", "layer": [{"activation": "tanh", "weight": [[1]],
                       "bias": [0]}], "data": {"input": [[1]], "target": [[0]]}, "train": {"lr": 0.1}},
                      format="html")
    page = document.html()
    assert "<script>alert(1)</script>" not in page
    assert html.escape("<script>alert(1)</script> & co") in page
    assert page.count("<script") == 2  # KaTeX itself, and the call that renders the math
    assert page.startswith("<!DOCTYPE html>") and "@media print" in page and 'class="toc"' in page
