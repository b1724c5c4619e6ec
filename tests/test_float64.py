"""Exact and float64 side by side (derive/derivation/float64.py, --verify's second table).

derive derives the first step exactly and computes it again in float64, as PyTorch does. Where the two
part ways by more than 1e-9, the line gets a note: PyTorch's value and why. The four float64-* examples
are built to part ways (a binary net input on ReLU's kink, tanh's saturation, a BCE loss term near its
limit, Adam with a tiny eps); here, against PyTorch itself:

- a torch-reported value (net, out, E, gradients, updated parameters, E_after) has a note exactly when
  the exact value and PyTorch's differ by more than 1e-9, and the note states PyTorch's value;
- each difference has the reason the example is about, at the value where it starts, and every other
  note points back to that value;
- the Markdown prints each note right after its line, and --verify passes with those values listed apart;
- a network where exact arithmetic and float64 agree has no note at all.
"""

from __future__ import annotations

import re

import pytest

from conftest import close, require_torch, run_cli, section, to_mp, torch_quantities
from derive.api import derive, load
from derive.text.message import Msg, Value, Versus

FLOAT64 = 1e-9  # derive/derivation/float64.py: a value gets a note where exact and float64 differ by more

# example: {quantity where a difference starts: the reason its note gives}; every other note follows one of these
ROOTS = {
    "float64-relu-kink": {"net_h1": "float64.rounding_leftover", "dout_dnet_h1": "float64.kink"},
    "float64-tanh-saturation": {"dout_dnet_h1": "float64.saturation"},
    "float64-bce-saturation": {"E_o1": "float64.loss_term", "dout_dnet_o1": "float64.saturation"},
    "float64-adam-eps": {"net_o1": "float64.rounding_leftover", "new_w1": "float64.tiny_eps",
                         "new_w2": "float64.tiny_eps", "new_b_o1": "float64.tiny_eps"},
}
# what each reason's sentence says (en.toml), to find it in the Markdown
SAYS = {
    "float64.rounding_leftover": "Exactly 0 here; PyTorch, in float64, gets",
    "float64.kink": "is exactly 0, on the activation's kink",
    "float64.saturation": "the activation is so close to its limit",
    "float64.loss_term": "the loss subtracts nearly equal numbers",
    "float64.tiny_eps": "an eps of",
    "float64.follows": "here: the difference comes from",
}
# the line each root's note must follow in the Markdown
ROOT_LINES = {
    "net_h1": r"\mathit{net}_{h1} &=", "net_o1": r"\mathit{net}_{o1} &=", "E_o1": "E_{o1} &=",
    "dout_dnet_h1": r"\frac{\partial \mathit{out}_{h1}}{\partial \mathit{net}_{h1}} &=",
    "dout_dnet_o1": r"\frac{\partial \mathit{out}_{o1}}{\partial \mathit{net}_{o1}} &=",
    "new_w1": "w_{1}^{+} &=", "new_w2": "w_{2}^{+} &=", "new_b_o1": "b_{o1}^{+} &=",
}


@pytest.fixture(scope="module")
def documents() -> dict:
    """Each float64-* example derived with --verify: (network, derivation, Markdown, PyTorch's run)."""
    require_torch()
    from derive.verify.reference import torch_run

    found = {}
    for name in ROOTS:
        document = derive(name, verify=True)
        found[name] = (document.network, document.derivation, document.markdown(), torch_run(document.network))
    return found


def line_notes(derivation) -> dict[str, Msg]:
    """Every note at a line of a derivation, by the line's quantity, in the document's order."""
    return {equation.quantity: equation.note for s in derivation.sections for block in s.blocks
            for equation in block.equations if equation.note is not None}


def notes_of(derivation) -> dict[str, Msg]:
    """The notes at the lines, and the one after the section "After the update" for E_after (a loss shown in prose)."""
    notes = line_notes(derivation)
    after = next(s for s in derivation.sections if s.key == "after")
    notes.update({"E_after": note for note in after.notes if note.key.startswith("float64.")})
    return notes


def stated_float64(note: Msg):
    """The float64 value a note states (its Versus's, or the Value of an exact zero's leftover)."""
    for _, argument in note.args:
        if isinstance(argument, Versus):
            return argument.float64
        if isinstance(argument, Value) and argument.number is not None:
            return argument.number
        if isinstance(argument, Msg):
            found = stated_float64(argument)
            if found is not None:
                return found
    return None


def root_of(note: Msg):
    """The symbol a follows (or kink) note names as where the difference starts."""
    return dict(note.args)["root"].expr


def noted_paragraphs(markdown: str) -> list[tuple[str, str]]:
    """(the display's last equation, the paragraph right after it) for every display followed by a float64 note."""
    body = markdown.split("\n## Verification against PyTorch\n")[0]
    parts = re.split(r"\$\$\n\\begin\{aligned\}\n(.*?)\n\\end\{aligned\}\n\$\$\n", body, flags=re.S)
    found = []
    for display, after in zip(parts[1::2], parts[2::2]):
        paragraph = after.strip().split("\n\n")[0]
        if "in float64, gets" in paragraph:
            starts = [line for line in display.splitlines() if not line.startswith(" &")]  # not a continued row
            found.append((starts[-1], paragraph))
    return found


@pytest.mark.parametrize("name", list(ROOTS))
def test_a_torch_value_has_a_note_exactly_where_exact_and_pytorch_part_ways(documents, name: str) -> None:
    network, derivation, _, reference = documents[name]
    notes = notes_of(derivation)
    exact = derivation.quantities
    parted = 0
    for key, theirs in torch_quantities(network, reference).items():
        ours = float(to_mp(exact[key].value))
        differs = abs(ours - theirs) > FLOAT64 * max(abs(ours), abs(theirs))
        assert (key in notes) == differs, f"{key}: exact {ours!r}, PyTorch {theirs!r}, note {notes.get(key)}"
        if differs:
            parted += 1
            # derive's float64 value is PyTorch's within --verify's tolerance (1e-12, or 1e-15 below 1e-3: a
            # saturated slope keeps few digits, and PyTorch's kernels may round 1 - y^2 with a fused multiply-add)
            assert close(float(to_mp(stated_float64(notes[key]))), theirs, 1e-12, 1e-15), (key, notes[key])
    assert parted > 0


@pytest.mark.parametrize("name", list(ROOTS))
def test_each_difference_gives_its_reason_where_it_starts_and_the_rest_follow_it(documents, name: str) -> None:
    _, derivation, _, _ = documents[name]
    notes = notes_of(derivation)
    assert {key: note.key for key, note in notes.items() if note.key != "float64.follows"} == ROOTS[name]
    roots = {derivation.quantities[key].symbol for key in ROOTS[name]}
    for key, note in notes.items():
        if note.key in ("float64.follows", "float64.kink"):
            assert root_of(note) in roots, (key, note)


@pytest.mark.parametrize("name", list(ROOTS))
def test_the_markdown_prints_each_note_right_after_its_line(documents, name: str) -> None:
    _, derivation, markdown, _ = documents[name]
    notes = line_notes(derivation)
    printed = noted_paragraphs(markdown)
    assert [SAYS[note.key] in paragraph for note, (_, paragraph) in zip(notes.values(), printed)] == [True] * len(notes)
    assert len(printed) == len(notes)
    lines = {line: paragraph for line, paragraph in printed}
    for key, reason in ROOTS[name].items():
        (paragraph,) = [p for line, p in lines.items() if line.startswith(ROOT_LINES[key])]
        assert SAYS[reason] in paragraph, (key, paragraph)
    # the loss after the update is in prose: its note, where it has one, follows the section's paragraph
    after = section(markdown, "After the update")
    assert ("Note: PyTorch, in float64, gets" in after) == ("E_after" in notes_of(derivation))


@pytest.mark.parametrize("name", list(ROOTS))
def test_verify_passes_and_lists_the_exact_and_float64_values_apart(documents, name: str, capsys) -> None:
    _, derivation, _, _ = documents[name]
    status, markdown, err = run_cli([name, "--verify", "-o", "-"], capsys)
    assert status == 0, err
    verification = section(markdown, "Verification against PyTorch")
    checks, apart = verification.split("| Quantity | exact | float64 | starts at |")
    assert "| Quantity | derive | PyTorch | Difference |" in checks and "values pass" in checks
    count = len(notes_of(derivation))
    assert f"On {count} value{'s' if count > 1 else ''} the exact derivation and float64 part ways" in checks
    rows = [line for line in apart.splitlines() if line.startswith("| $")]
    assert len(rows) == count


@pytest.mark.parametrize("name", ["mazur", "xor-tanh", "rmsprop-step", "gelu-regression"])
def test_where_exact_and_float64_agree_there_is_no_note(name: str, capsys) -> None:
    require_torch()
    document = derive(load(name), verify=True)
    assert notes_of(document.derivation) == {}
    markdown = document.markdown()
    assert "PyTorch, in float64, gets" not in markdown and "the exact derivation and float64 part ways" not in markdown
    assert "| Quantity | exact | float64 | starts at |" not in markdown
