"""The files of an exercise set, by name within its folder, made in memory before anything is written.

- one sheet (the spec's numbers, or ``--variant S-k``): ``sheet.<ext>``, ``key.<ext>``, ``answers.json``;
- a class set (``--variants N``): ``S-k/`` folders with the same three files, ``answers.json`` for all,
  ``overview.md``; as PDF, ``sheets.pdf`` and ``keys.pdf`` (one LaTeX run each) and ``overview.pdf``
  instead of the folders; as Moodle XML, ``moodle.xml`` with one Cloze question per variant.
"""

from __future__ import annotations

from typing import Sequence

from ..render.escape import escape_latex
from .answers import answers_json, class_answers_json
from .model import Exercise
from .render import key_markdown, key_part, latex_article, pdf_article, sheet_markdown, sheet_part

FORMATS = ("markdown", "latex", "pdf", "json", "moodle")
EXTENSIONS = {"markdown": "md", "latex": "tex", "pdf": "pdf", "json": "json"}


def sheet_files(exercise: Exercise, kind: str) -> dict[str, bytes]:
    """sheet, key and answers.json of one exercise (Moodle: one question)."""
    files = {"answers.json": answers_json(exercise).encode()}
    if kind == "moodle":
        from .moodle import moodle_xml

        files["moodle.xml"] = moodle_xml([exercise])
        return files
    extension = EXTENSIONS[kind]
    sheet, key = _documents(exercise, kind)
    files[f"sheet.{extension}"] = sheet
    files[f"key.{extension}"] = key
    return files


def class_files(exercises: Sequence[Exercise], kind: str, seed: int) -> dict[str, bytes]:
    """A class set: every variant's sheet and key, all answers, the overview (and the class PDFs or Moodle)."""
    from .overview import overview_markdown, overview_pdf

    files = {"answers.json": class_answers_json(exercises, seed).encode(), "overview.md": overview_markdown(exercises).encode()}
    if kind == "moodle":
        from .moodle import moodle_xml

        files["moodle.xml"] = moodle_xml(exercises)
    elif kind == "pdf":
        title = escape_latex(exercises[0].title)
        files["sheets.pdf"] = pdf_article([sheet_part(e) for e in exercises], title)
        files["keys.pdf"] = pdf_article([key_part(e) for e in exercises], title)
        files["overview.pdf"] = overview_pdf(exercises)
    else:
        for exercise in exercises:
            for name, data in sheet_files(exercise, kind).items():
                files[f"{exercise.label}/{name}"] = data
        if kind == "latex":
            title = escape_latex(exercises[0].title)
            files["sheets.tex"] = latex_article([sheet_part(e) for e in exercises], title).encode()
            files["keys.tex"] = latex_article([key_part(e) for e in exercises], title).encode()
    return files


def _documents(exercise: Exercise, kind: str) -> tuple[bytes, bytes]:
    if kind == "markdown":
        return sheet_markdown(exercise).encode(), key_markdown(exercise).encode()
    if kind == "json":
        from .json_sheet import key_json, sheet_json

        return sheet_json(exercise).encode(), key_json(exercise).encode()
    title = escape_latex(exercise.title)
    if kind == "latex":
        return latex_article([sheet_part(exercise)], title).encode(), latex_article([key_part(exercise)], title).encode()
    return pdf_article([sheet_part(exercise)], title), pdf_article([key_part(exercise)], title)
