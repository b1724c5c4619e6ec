"""Recompute the numbers rows of derive's aligned displays over the rounding the document announces.

derive's Markdown shows each step as an ``aligned`` block: a formula, the formula with numbers put
in (a *numbers row*), and the value. A small tokenizer and recursive-descent parser read the LaTeX
that derive prints and evaluate a numbers row over intervals (mpmath's interval context, rounded
outward). A number shown with the document's precision P (P decimals, or a P-decimal mantissa
before ``\\times 10^{e}``) stands for every value within half a unit of its last place; a number
with fewer decimals is exact. The row adds up when the interval it can reach meets the value
shown: within half a unit of the value's last place after ``\\approx``, exactly after ``=``.
Interval arithmetic makes this a proof rather than an estimate: a failure is a line that no choice
of the unrounded numbers behind it can make true.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal
from typing import Any, Callable, Union

import mpmath
from mpmath.ctx_iv import MPIntervalContext

IV = MPIntervalContext()  # private, so the checks never change mpmath's global interval precision
IV.prec = 256
DECIMALS = Context(prec=60, Emin=MIN_EMIN, Emax=MAX_EMAX)  # sigmoid(-1e7) prints as about 10^-4342945

Interval = Any  # an interval of IV (mpmath ships no type for it)

TOKEN = re.compile(
    r"""
    (?P<space>\s+|\\[:,;!]|\\quad\b)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<env>\\(?:begin|end)\{\w+\})
  | (?P<text>\\text\{[^{}]*\})
  | (?P<operator>\\operatorname\{\w+\})
  | (?P<delimiter>\\(?:left|right|bigl|bigr)(?:[()|\[\].]|\\[{}]))
  | (?P<rowbreak>\\\\)
  | (?P<command>\\[a-zA-Z]+)
  | (?P<char>[-+^{}()\[\],&|<>=_'!/*])
  | (?P<letter>[a-zA-Z])
    """,
    re.X,
)

# What a numbers row may hold; anything else (a name, \partial, a subscript) makes it a formula row.
NUMERIC_TOKENS = {
    "command": {
        r"\frac", r"\sqrt", r"\log", r"\ln", r"\exp", r"\tanh", r"\max", r"\min", r"\pi",
        r"\cdot", r"\times", r"\odot", r"\geq", r"\leq", r"\ge", r"\le",
    },
    "operator": {r"\operatorname{erf}", r"\operatorname{sign}"},
    "text": {r"\text{for}", r"\text{otherwise}"},
    "env": {r"\begin{cases}", r"\end{cases}", r"\begin{bmatrix}", r"\end{bmatrix}"},
    "char": set("-+^{}(),&|<>"),
    "letter": {"e"},
}
COMPARISONS = {">": "gt", "<": "lt", r"\geq": "ge", r"\ge": "ge", r"\leq": "le", r"\le": "le"}
CLOSERS = {r"\left(": r"\right)", r"\bigl(": r"\bigr)", "(": ")", r"\left|": r"\right|"}
ALIGNED = re.compile(r"\\begin\{aligned\}\n(.*?)\n\\end\{aligned\}", re.S)
ANNOUNCED = re.compile(r"rounded to (\d+) decimal places")
NUMBER = re.compile(r"\d+(\.\d+)?")
CONTINUED = r"&\quad"  # how derive starts the rest of a row too long for one line
GAP = re.compile(r"\\\\\[\d+pt\]$")  # the space derive leaves between two equations of one display


class ParseError(ValueError):
    """A numbers row this parser cannot read (its grammar needs extending, or the row is malformed)."""


class DomainError(ValueError):
    """A numbers row that takes a logarithm or square root of values all outside its domain, or divides by zero."""


@dataclass(frozen=True)
class Token:
    """One lexical piece of LaTeX: its kind (a TOKEN group name) and its text."""

    kind: str
    text: str


@dataclass(frozen=True)
class Grid:
    """A matrix of intervals, row by row."""

    rows: tuple[tuple[Interval, ...], ...]

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return len(self.rows), len(self.rows[0])


Value = Union[Interval, Grid]


@dataclass(frozen=True)
class Shown:
    """A number as the document prints it: its value, half a unit of its last place, and whether it may be rounded."""

    value: Decimal
    half_unit: Decimal
    may_be_rounded: bool

    def interval(self, rounded: bool) -> Interval:
        """Every value this number may stand for: within half a unit of its last place if ``rounded``, else itself."""
        centre = IV.mpf(str(self.value))
        if not rounded:
            return centre
        half = IV.mpf(str(self.half_unit))
        return IV.mpf([(centre - half).a, (centre + half).b])

    def __neg__(self) -> Shown:
        return Shown(self.value.copy_negate(), self.half_unit, self.may_be_rounded)


def shown_number(mantissa: str, exponent: int, precision: int) -> Shown:
    """A printed number; it may be rounded (to its last place) when it shows at least ``precision`` decimals."""
    decimals = len(mantissa.partition(".")[2])
    value = Decimal(mantissa).scaleb(exponent, DECIMALS)
    return Shown(value, Decimal(5).scaleb(exponent - decimals - 1, DECIMALS), decimals >= precision)


def tokenize(tex: str) -> list[Token]:
    """The tokens of a LaTeX math string, spacing dropped."""
    tokens, position = [], 0
    while position < len(tex):
        match = TOKEN.match(tex, position)
        if match is None:
            raise ParseError(f"cannot read {tex[position:position + 20]!r}")
        position = match.end()
        if match.lastgroup != "space":
            tokens.append(Token(match.lastgroup or "", match.group()))
    return tokens


def is_numeric(tokens: list[Token]) -> bool:
    """Whether a row holds only numbers, operators and functions (a numbers row), not names."""
    return all(
        token.kind in ("number", "delimiter", "rowbreak") or token.text in NUMERIC_TOKENS.get(token.kind, ())
        for token in tokens
    )


# Interval helpers. IV rounds outward; erf, which it lacks, is taken at its endpoints (it is
# increasing) at a higher precision and widened by far more than its own error.

def _hull(values: list[Interval]) -> Interval:
    return IV.mpf([min(v.a for v in values), max(v.b for v in values)])


def _increasing(function: Callable[[Any], Any], x: Interval) -> Interval:
    with mpmath.workprec(IV.prec + 64):
        rough = IV.mpf([function(mpmath.mpf(x.a)), function(mpmath.mpf(x.b))])
    slack = IV.mpf(2) ** (16 - IV.prec)
    return IV.mpf([(rough.a - abs(rough.a) * slack).a, (rough.b + abs(rough.b) * slack).b])


def _log(x: Interval) -> Interval:
    if x.b <= 0:
        raise DomainError(f"log of {x}")
    # A rounded argument may reach below zero; only its positive part can be the value behind it.
    return IV.log(IV.mpf([0, x.b]) if x.a <= 0 else x)


def _sqrt(x: Interval) -> Interval:
    if x.b < 0:
        raise DomainError(f"square root of {x}")
    return IV.sqrt(IV.mpf([0, x.b]) if x.a < 0 else x)


def _tanh(x: Interval) -> Interval:
    return 1 - 2 / (IV.exp(2 * x) + 1)  # x occurs once, so the enclosure stays tight


def _sign(x: Interval) -> Interval:
    signs = [sign for sign, possible in ((-1, x.a < 0), (0, x.a <= 0 <= x.b), (1, x.b > 0)) if possible]
    return IV.mpf([min(signs), max(signs)])


def _power(base: Interval, exponent: Interval) -> Interval:
    if exponent.a == exponent.b and exponent.a == int(exponent.a):
        return base ** int(exponent.a)
    return IV.exp(exponent * _log(base))


def _divide(numerator: Interval, denominator: Interval) -> Interval:
    if denominator.a == 0 == denominator.b:
        raise DomainError("division by zero")
    return numerator / denominator  # a rounded denominator around zero gives (-inf, inf)


def _compare(left: Interval, right: Interval, relation: str) -> bool | None:
    """True or False when every pair of values agrees, None when the intervals leave it open."""
    if relation in ("lt", "le"):
        left, right, relation = right, left, "gt" if relation == "lt" else "ge"
    if left.a > right.b or (relation == "ge" and left.a == right.b):
        return True
    if left.b < right.a or (relation == "gt" and left.b == right.a):
        return False
    return None


def _map(function: Callable[[Interval], Interval], value: Value) -> Value:
    if isinstance(value, Grid):
        return Grid(tuple(tuple(function(x) for x in row) for row in value.rows))
    return function(value)


def _elementwise(op: Callable[[Interval, Interval], Interval], left: Value, right: Value, name: str) -> Value:
    if not isinstance(right, Grid):
        return _map(lambda x: op(x, right), left)
    if not isinstance(left, Grid):
        return _map(lambda y: op(left, y), right)
    if name in ("+", "-") and right.shape == (left.shape[0], 1) != left.shape:
        right = Grid(tuple(row * left.shape[1] for row in right.rows))  # a bias column, added to every sample
    if left.shape != right.shape:
        raise ParseError(f"{name} of a {left.shape} and a {right.shape} matrix")
    return Grid(tuple(tuple(op(x, y) for x, y in zip(a, b)) for a, b in zip(left.rows, right.rows)))


def _product(left: Value, right: Value) -> Value:
    if isinstance(left, Grid) and isinstance(right, Grid):
        if left.shape[1] != right.shape[0]:
            raise ParseError(f"product of a {left.shape} and a {right.shape} matrix")
        columns = list(zip(*right.rows))
        return Grid(tuple(tuple(sum(x * y for x, y in zip(row, column)) for column in columns) for row in left.rows))
    return _elementwise(lambda x, y: x * y, left, right, "product")


def _scalar(value: Value, what: str) -> Interval:
    if isinstance(value, Grid):
        raise ParseError(f"{what} of a matrix")
    return value


FUNCTIONS: dict[str, Callable[[Interval], Interval]] = {
    r"\log": _log, r"\ln": _log, r"\exp": IV.exp, r"\tanh": _tanh, r"\sqrt": _sqrt,
    r"\operatorname{erf}": lambda x: _increasing(mpmath.erf, x), r"\operatorname{sign}": _sign,
}
FACTOR_STARTS = {r"\left(", r"\bigl(", "(", r"\frac", r"\pi", r"\begin{bmatrix}", r"\max", r"\min", "e", *FUNCTIONS}


class Parser:
    """Recursive descent over one numbers row, evaluating as it goes.

    expression := term (('+' | '-') term)*         term := product (('\\cdot' | '\\odot') product)*
    product := unary power*  (juxtaposition)        unary := '-' unary | power
    power := primary ('^' exponent)? | 'e' '^' exponent
    primary := number ['\\times' '10' '^' exponent] | brackets | '\\frac' | function | cases | bmatrix
    """

    def __init__(self, tokens: list[Token], precision: int) -> None:
        self.tokens = tokens
        self.position = 0
        self.precision = precision

    def parse(self) -> Value:
        """The value of the whole row."""
        value = self.expression()
        if self.position != len(self.tokens):
            raise ParseError(f"unexpected {self.peek().text!r}")
        return value

    def peek(self, ahead: int = 0) -> Token:
        """The token ``ahead`` places on, or an empty end marker."""
        index = self.position + ahead
        return self.tokens[index] if index < len(self.tokens) else Token("end", "")

    def take(self, text: str | None = None) -> Token:
        """The next token, which must be ``text`` when given."""
        token = self.peek()
        if token.kind == "end" or (text is not None and token.text != text):
            raise ParseError(f"expected {text or 'more'}, found {token.text!r}")
        self.position += 1
        return token

    def expression(self) -> Value:
        """Sums and differences of terms."""
        value = self.term()
        while self.peek().text in ("+", "-"):
            sign = self.take().text
            right = self.term()
            value = _elementwise((lambda x, y: x + y) if sign == "+" else (lambda x, y: x - y), value, right, sign)
        return value

    def term(self) -> Value:
        r"""Products written with \cdot, and entry-by-entry products (\odot)."""
        value = self.product()
        while self.peek().text in (r"\cdot", r"\odot"):
            operator = self.take().text
            right = self.product()
            if operator == r"\odot":
                value = _elementwise(lambda x, y: x * y, value, right, "odot")
            elif isinstance(value, Grid) and isinstance(right, Grid):
                raise ParseError(r"\cdot between two matrices")
            else:
                value = _product(value, right)
        return value

    def product(self) -> Value:
        """Juxtaposed factors: a matrix product, or a number times a matrix (binding tighter than \\odot)."""
        value = self.unary()
        while self.peek().kind == "number" or self.peek().text in FACTOR_STARTS:
            value = _product(value, self.power())
        return value

    def unary(self) -> Value:
        """A signed factor."""
        if self.peek().text in ("-", "+"):
            negative = self.take().text == "-"
            value = self.unary()
            return _map(lambda x: -x, value) if negative else value
        return self.power()

    def power(self) -> Value:
        """A primary, perhaps raised to a power; e^{x} is the exponential."""
        if self.peek() == Token("letter", "e"):
            self.take()
            if self.peek().text != "^":
                return IV.e
            self.take("^")
            return _map(IV.exp, self.exponent())
        base = self.primary()
        if self.peek().text != "^":
            return base
        self.take("^")
        exponent = _scalar(self.exponent(), "a power")
        return _map(lambda x: _power(x, exponent), base)

    def exponent(self) -> Value:
        """A braced exponent, or a single number."""
        return self.group() if self.peek().text == "{" else self.number()

    def group(self) -> Value:
        """An expression in braces."""
        self.take("{")
        value = self.expression()
        self.take("}")
        return value

    def primary(self) -> Value:
        """A number, a bracketed expression, a fraction, a function applied, cases or a matrix."""
        text = self.peek().text
        if self.peek().kind == "number":
            return self.number()
        if text == "{":
            return self.group()
        if text in CLOSERS:
            self.take()
            value = self.expression()
            self.take(CLOSERS[text])
            return _map(abs, value) if text == r"\left|" else value
        if text == r"\pi":
            self.take()
            return IV.pi
        if text == r"\frac":
            self.take()
            numerator = self.group()
            return _elementwise(_divide, numerator, self.group(), "fraction")
        if text in FUNCTIONS:
            self.take()
            exponent = None
            if self.peek().text == "^":  # \tanh^{2}{\left(x \right)} is tanh(x) squared
                self.take()
                exponent = _scalar(self.exponent(), "a function's power")
            value = _map(FUNCTIONS[text], self.primary())
            return value if exponent is None else _map(lambda x: _power(x, exponent), value)
        if text in (r"\max", r"\min"):
            return self.extremum()
        if text == r"\begin{cases}":
            return self.cases()
        if text == r"\begin{bmatrix}":
            return self.matrix()
        raise ParseError(f"unexpected {text!r}")

    def number(self) -> Interval:
        """A number literal, with its power of ten when written m \\times 10^{e}."""
        mantissa = self.take().text
        if not NUMBER.fullmatch(mantissa):
            raise ParseError(f"expected a number, found {mantissa!r}")
        exponent = 0
        if [self.peek(i).text for i in range(3)] == [r"\times", "10", "^"]:
            self.position += 3
            exponent = self.integer_exponent()
        found = shown_number(mantissa, exponent, self.precision)
        return found.interval(found.may_be_rounded)

    def integer_exponent(self) -> int:
        """The braced whole-number exponent of a power of ten."""
        self.take("{")
        negative = self.peek().text == "-"
        if negative:
            self.take()
        digits = self.take().text
        self.take("}")
        if not digits.isdigit():
            raise ParseError(f"expected a power of ten, found {digits!r}")
        return -int(digits) if negative else int(digits)

    def extremum(self) -> Interval:
        r"""\max\left(a, b, ...\right) or \min(...)."""
        which = self.take().text
        opener = self.take().text
        if opener not in (r"\left(", "("):
            raise ParseError(f"expected a bracket after {which}, found {opener!r}")
        values = [_scalar(self.expression(), which)]
        while self.peek().text == ",":
            self.take()
            values.append(_scalar(self.expression(), which))
        self.take(CLOSERS[opener])
        pick = max if which == r"\max" else min
        return IV.mpf([pick(v.a for v in values), pick(v.b for v in values)])

    def cases(self) -> Interval:
        r"""A piecewise value; where the rounding leaves a condition open, every branch it allows."""
        self.take(r"\begin{cases}")
        reachable, settled = [], False
        while True:
            value = _scalar(self.expression(), "cases")
            self.take("&")
            truth = self.take().text == r"\text{otherwise}" or self.condition()
            if not settled and truth is not False:
                reachable.append(value)
                settled = truth is True
            if self.peek().kind != "rowbreak":
                break
            self.take()
        self.take(r"\end{cases}")
        if not reachable:
            raise DomainError("no branch of the cases can hold")
        return _hull(reachable)

    def condition(self) -> bool | None:
        r"""After \text{for}: a comparison, True, False, or None when the rounding leaves it open."""
        if self.tokens[self.position - 1].text != r"\text{for}":
            raise ParseError(r"expected \text{for} or \text{otherwise} in cases")
        left = _scalar(self.expression(), "a condition")
        relation = COMPARISONS.get(self.take().text)
        if relation is None:
            raise ParseError("expected a comparison")
        return _compare(left, _scalar(self.expression(), "a condition"), relation)

    def matrix(self) -> Grid:
        r"""\begin{bmatrix} a & b \\ c & d \end{bmatrix}."""
        self.take(r"\begin{bmatrix}")
        rows: list[tuple[Interval, ...]] = []
        row = [_scalar(self.expression(), "a matrix entry")]
        while self.peek().text != r"\end{bmatrix}":
            separator = self.take()
            if separator.kind == "rowbreak":
                rows.append(tuple(row))
                row = []
            elif separator.text != "&":
                raise ParseError(f"expected & or \\\\ in a matrix, found {separator.text!r}")
            row.append(_scalar(self.expression(), "a matrix entry"))
        self.take()
        rows.append(tuple(row))
        if len({len(r) for r in rows}) != 1:
            raise ParseError("a matrix with rows of different lengths")
        return Grid(tuple(rows))


def evaluate(tex: str, precision: int) -> Value:
    """Every value a numbers row can take, given the document's precision."""
    return Parser(tokenize(tex), precision).parse()


def shown_value(tex: str, precision: int) -> Shown | tuple[tuple[Shown, ...], ...] | None:
    """The row as a lone value (a number, negative, scientific, or a matrix of such), or None."""
    tokens = [token for token in tokenize(tex) if token.text not in (r"\left(", r"\right)")]
    if not tokens or tokens[0].text != r"\begin{bmatrix}" or tokens[-1].text != r"\end{bmatrix}":
        return _lone(tokens, precision)
    cells: list[list[list[Token]]] = [[[]]]
    for token in tokens[1:-1]:
        if token.kind == "rowbreak":
            cells.append([[]])
        elif token.text == "&":
            cells[-1].append([])
        else:
            cells[-1][-1].append(token)
    entries = [[_lone(cell, precision) for cell in row] for row in cells]
    if any(entry is None for row in entries for entry in row):
        return None
    return tuple(tuple(row) for row in entries)  # type: ignore[misc]


def _lone(tokens: list[Token], precision: int) -> Shown | None:
    texts = [token.text for token in tokens]
    negative = texts[:1] == ["-"]
    texts = texts[1:] if negative else texts
    exponent = 0
    if texts[1:4] == [r"\times", "10", "^"]:
        match = re.fullmatch(r"\{(-?\d+)\}", "".join(texts[4:]))
        if match is None:
            return None
        exponent, texts = int(match.group(1)), texts[:1]
    if len(texts) != 1 or not NUMBER.fullmatch(texts[0]):
        return None
    found = shown_number(texts[0], exponent, precision)
    return -found if negative else found


@dataclass(frozen=True)
class Row:
    """One row of an aligned block (continuation rows joined in): its relation and right-hand side."""

    relation: str
    tex: str


@dataclass(frozen=True)
class Block:
    """An aligned display: the quantity on the left, and its rows."""

    lhs: str
    rows: tuple[Row, ...]


def aligned_blocks(markdown: str) -> list[Block]:
    """Every equation of every aligned display of a derive Markdown document, in order.

    A display holds one or more equations (``lhs &= ... \\\\[3pt]`` starts the next); an equation's
    row may hold several steps (``lhs &= form = numbers \\approx value``), and a step too long for
    its row goes on in the next (``&= ...``, or ``&\\quad ...`` inside one step).
    """
    blocks = []
    for body in ALIGNED.findall(markdown):
        lhs, steps = "", []
        for line in body.split("\n"):
            line = GAP.sub("", line.strip())
            line = line[:-2].rstrip() if line.endswith("\\\\") else line
            if line.startswith(CONTINUED):
                steps[-1] = Row(steps[-1].relation, steps[-1].tex + " " + line[len(CONTINUED):].strip())
                continue
            left, _, right = line.partition("&")
            if left.strip():  # a new equation
                if steps:
                    blocks.append(Block(lhs, tuple(steps)))
                lhs, steps = left.strip(), []
            steps.extend(_steps(right.strip(), line))
        blocks.append(Block(lhs, tuple(steps)))
    return blocks


def _steps(text: str, line: str) -> list[Row]:
    """The steps of one row: its text split at the relations that stand outside every group."""
    found: list[Row] = []
    depth, start, relation, index = 0, None, None, 0
    while index < len(text):
        if text.startswith(("\\begin{", "\\left", "\\bigl"), index) or text[index] == "{":
            depth += 1
        elif text.startswith(("\\end{", "\\right", "\\bigr"), index) or text[index] == "}":
            depth -= 1
        elif depth == 0:
            for candidate in ("=", "\\approx"):
                if text.startswith(candidate, index) and not text[index + len(candidate):index + len(candidate) + 1].isalpha():
                    if relation is not None:
                        found.append(Row(relation, text[start:index].strip()))
                    relation, start = candidate, index + len(candidate)
                    index += len(candidate) - 1
                    break
        index += 1
    if relation is None:
        raise ParseError(f"a row with neither = nor \\approx: {line!r}")
    found.append(Row(relation, text[start:].strip()))
    return found


def announced_precision(markdown: str) -> int:
    """The decimals the document says it rounds to."""
    match = ANNOUNCED.search(markdown)
    if match is None:
        raise ParseError("the document does not announce its rounding")
    return int(match.group(1))


def _meets(reached: Interval, allowed: Interval) -> bool:
    return bool(reached.a <= allowed.b and allowed.a <= reached.b)


@dataclass(frozen=True)
class Check:
    """One numbers row against its block's value: what the row can reach, and what the value allows."""

    lhs: str
    row: str
    value: str
    reached: tuple[Interval, ...] = ()
    allowed: tuple[Interval, ...] = ()
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the row can reach the value: for every entry, the two intervals meet."""
        return self.problem is None and all(_meets(r, a) for r, a in zip(self.reached, self.allowed))

    def describe(self) -> str:
        """A readable account, for a failure message."""
        if self.problem is not None:
            detail = self.problem
        else:
            misses = [(r, a) for r, a in zip(self.reached, self.allowed) if not _meets(r, a)]
            detail = "; ".join(f"reached {r} allowed {a}" for r, a in misses)
        return f"{self.lhs}: {self.row}  vs  {self.value}\n    {detail}"


@dataclass
class Report:
    """The checks of one document, and the numbers rows left without a value to check."""

    checks: list[Check] = field(default_factory=list)
    formula_rows: int = 0
    unchecked: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[Check]:
        """The rows that do not add up."""
        return [check for check in self.checks if not check.ok]


def check_document(markdown: str, precision: int | None = None) -> Report:
    """Check every numbers row of a document against the value of its block.

    A block's value is its last row when that is a lone number (or matrix of numbers); in matrix
    style the value of ``Z = W A + b`` is the next display, ``Z = [...]``.
    """
    precision = announced_precision(markdown) if precision is None else precision
    report = Report()
    blocks = aligned_blocks(markdown)
    for index, block in enumerate(blocks):
        numeric = [_is_numbers_row(row.tex) for row in block.rows]
        report.formula_rows += numeric.count(False)
        rows = [row for row, is_number in zip(block.rows, numeric) if is_number]
        if not rows:
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if numeric[-1] and shown_value(block.rows[-1].tex, precision) is not None:
            value, rows = block.rows[-1], rows[:-1]
        elif (following is not None and following.lhs == block.lhs and len(following.rows) == 1
              and shown_value(following.rows[0].tex, precision) is not None):
            value = following.rows[0]
        else:
            report.unchecked.extend(f"{block.lhs}: {row.tex} (no value follows)" for row in rows)
            continue
        for row in rows:
            report.checks.append(check_row(block.lhs, row, value, precision))
    return report


def _is_numbers_row(tex: str) -> bool:
    try:
        return is_numeric(tokenize(tex))
    except ParseError:
        return False  # text this tokenizer does not know is not arithmetic it could check


def check_row(lhs: str, row: Row, value: Row, precision: int) -> Check:
    """Whether a numbers row can reach the shown value."""
    shown = shown_value(value.tex, precision)
    try:
        reached = evaluate(row.tex, precision)
    except (ParseError, DomainError) as error:
        return Check(lhs, row.tex, value.tex, problem=f"{type(error).__name__}: {error}")
    if isinstance(shown, tuple):
        if not isinstance(reached, Grid) or reached.shape != (len(shown), len(shown[0])):
            return Check(lhs, row.tex, value.tex, problem="the row and the value differ in shape")
        values = [entry for line in shown for entry in line]
        entries = tuple(x for line in reached.rows for x in line)
    else:
        if isinstance(reached, Grid) or shown is None:
            return Check(lhs, row.tex, value.tex, problem="the row is a matrix, the value a number")
        values, entries = [shown], (reached,)
    allowed = tuple(entry.interval(value.relation == r"\approx") for entry in values)
    return Check(lhs, row.tex, value.tex, entries, allowed)
