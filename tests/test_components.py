"""derive.components: each activation, loss and optimizer object against SymPy, textbook formulas and PyTorch.

- an activation's closed-form derivative (in z and a = f(z)) is SymPy's diff of its definition, and
  its exact, float64, written and PyTorch forms all compute the same function;
- a loss's terms and shown derivative are SymPy's, its numeric slopes match them away from BCE's
  clamps, and its PyTorch twin is the torch.nn loss written here;
- an optimizer's step, in both arithmetics and as torch.optim, follows the update rules as
  torch.optim's documentation writes them, and the first step's displayed rules give the same numbers.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import pytest
import sympy as sp

from conftest import close, has_kink, require_torch, to_mp, torch_loss
from derive.components import ACTIVATIONS, LOSSES, OPTIMIZERS, Activation, Optimizer
from derive.engine.arithmetic import FLOAT64, Exact, to_float

Z, A, Y = sp.Symbol("z", real=True), sp.Symbol("a", real=True), sp.Symbol("y", real=True)
POINTS = (Fraction(-3), Fraction(-1, 7), Fraction(2, 9), Fraction(5))  # away from a kink at 0
# far out, where float64's closed forms cancel (GELU's 1 + erf at -9 is 0 in float64) and at a switch (0, softplus's threshold)
FAR_POINTS = (Fraction(-40), Fraction(-9), Fraction(-5, 2), Fraction(0), Fraction(19, 10), Fraction(2), Fraction(21, 10),
              Fraction(12), Fraction(25))
SETTINGS = {
    "leaky_relu": [{"negative_slope": Fraction(1, 5)}],
    "gelu": [{}, {"approximate": "tanh"}],
    "softplus": [{}, {"beta": Fraction(2), "threshold": Fraction(4)}, {"beta": Fraction(1, 2), "threshold": Fraction(3)}],
}
ACTIVATION_CASES = [(name, settings) for name in ACTIVATIONS.names() for settings in SETTINGS.get(name, [{}])]
ACTIVATION_IDS = [name + "".join(f",{key}={value}" for key, value in settings.items()) for name, settings in ACTIVATION_CASES]


def activation(name: str, settings: dict) -> Activation:
    return ACTIVATIONS.make(name, **settings)


def torch_function(name: str, settings: dict):
    """The activation as torch.nn.functional computes it, written here from PyTorch's API (not derive's f.torch)."""
    torch = require_torch()
    F = torch.nn.functional
    return {
        "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": F.relu, "identity": lambda x: x,
        "leaky_relu": lambda x: F.leaky_relu(x, float(settings.get("negative_slope", Fraction(1, 100)))),
        "gelu": lambda x: F.gelu(x, approximate=settings.get("approximate", "none")),
        "softplus": lambda x: F.softplus(x, beta=float(settings.get("beta", 1)), threshold=float(settings.get("threshold", 20))),
    }[name]


def test_the_registries_know_their_components_in_alphabetical_order() -> None:
    assert ACTIVATIONS.names() == ("gelu", "identity", "leaky_relu", "relu", "sigmoid", "softplus", "tanh")
    assert LOSSES.names() == ("bce", "cross_entropy", "half_sse", "huber", "mse", "sse", "sum")
    assert OPTIMIZERS.names() == ("adam", "rmsprop", "sgd")
    assert "sigmoid" in ACTIVATIONS and "swish" not in ACTIVATIONS
    assert OPTIMIZERS.owners("momentum") == ("rmsprop", "sgd") and ACTIVATIONS.owners("negative_slope") == ("leaky_relu",)
    assert OPTIMIZERS.make("adam").betas == (Fraction(9, 10), Fraction(999, 1000))
    assert ACTIVATIONS.make("leaky_relu").negative_slope == Fraction(1, 100)  # nn.LeakyReLU's default


@pytest.mark.parametrize("registry, name, message", [
    (ACTIVATIONS, "swish", "no activation named 'swish'; the activations are gelu, identity, leaky_relu, relu"),
    (LOSSES, "mae", "no loss named 'mae'; the losses are bce, cross_entropy, half_sse, huber, mse, sse, sum"),
    (OPTIMIZERS, "lbfgs", "no optimizer named 'lbfgs'; the optimizers are adam, rmsprop, sgd"),
])
def test_an_unknown_name_lists_the_family_in_plain_english(registry, name: str, message: str) -> None:
    with pytest.raises(KeyError, match=message):
        registry.make(name)


@pytest.mark.parametrize("name, settings", ACTIVATION_CASES, ids=ACTIVATION_IDS)
def test_closed_form_derivative_is_sympys_diff(name: str, settings: dict) -> None:
    f = activation(name, settings)
    definition = f.expression(Z)
    closed = f.derivative(Z, A).xreplace({A: definition})
    diff = sp.diff(definition, Z)
    if not has_kink(f):
        assert sp.simplify(closed - diff) == 0
    for z in POINTS:
        value = sp.Rational(z.numerator, z.denominator)
        assert abs(sp.N(closed.xreplace({Z: value}) - diff.xreplace({Z: value}), 50)) < sp.Float(10) ** -45, (name, z)


@pytest.mark.parametrize("name, settings", ACTIVATION_CASES, ids=ACTIVATION_IDS)
@mpmath.workdps(60)
def test_every_form_of_an_activation_computes_the_same_function(name: str, settings: dict) -> None:
    f = activation(name, settings)
    exact = Exact()
    definition, slope = f.expression(Z), sp.diff(f.expression(Z), Z)
    for z in POINTS:
        point = {Z: sp.Rational(z.numerator, z.denominator)}
        value = mpmath.mpf(str(sp.N(definition.xreplace(point), 60)))
        derivative = mpmath.mpf(str(sp.N(slope.xreplace(point), 60)))
        assert abs(to_mp(f.value(z, exact)) - value) < mpmath.mpf(10) ** -45
        assert abs(to_mp(f.slope(z, f.value(z, exact), exact)) - derivative) < mpmath.mpf(10) ** -45
        # float64 computes as PyTorch does (its twin is checked below), so a form that cancels (GELU's
        # 1 + erf(z / sqrt 2) for z < 0) keeps a few digits fewer
        assert close(f.value(float(z), FLOAT64), float(value), 1e-13, 1e-300)
        # float64 takes the slope from a (as PyTorch does), so 1 - a may cancel a few digits
        assert close(f.slope(float(z), f.value(float(z), FLOAT64), FLOAT64), float(derivative), 1e-12, 1e-300)
        assert sp.N(f.written(Z).xreplace(point) - definition.xreplace(point), 50) == 0  # the form the document writes
    if has_kink(f):
        below = getattr(f, "negative_slope", Fraction(0))
        assert f.slope(Fraction(0), Fraction(0), exact) == below  # PyTorch's choice at the kink: the left slope
        assert f.value(Fraction(-2, 3), exact) == below * Fraction(-2, 3)  # exact values stay exact


@pytest.mark.parametrize("name, settings", ACTIVATION_CASES, ids=ACTIVATION_IDS)
@mpmath.workdps(70)
def test_the_exact_form_keeps_its_digits_far_out_where_float64_cancels(name: str, settings: dict) -> None:
    """At z = -9 float64's 1 + erf(z / sqrt 2) is 0 and GELU's value 0; the exact form must still give SymPy's
    value (and slope) to 40 digits, there and at every switch of a formula."""
    f = activation(name, settings)
    exact = Exact()
    definition = f.expression(Z)
    slope = sp.diff(definition, Z)
    for z in FAR_POINTS:
        point = {Z: sp.Rational(z.numerator, z.denominator)}
        value = mpmath.mpf(str(sp.N(definition.xreplace(point), 70)))
        derivative = mpmath.mpf(str(sp.N(slope.xreplace(point), 70)))
        a = f.value(z, exact)
        assert abs(to_mp(a) - value) <= abs(value) * mpmath.mpf(10) ** -40 + mpmath.mpf(10) ** -300, (name, z)
        assert abs(to_mp(f.slope(z, a, exact)) - derivative) <= abs(derivative) * mpmath.mpf(10) ** -40 + mpmath.mpf(10) ** -300, (name, z)


@pytest.mark.parametrize("name, settings", ACTIVATION_CASES, ids=ACTIVATION_IDS)
def test_an_activations_float64_form_is_pytorchs(name: str, settings: dict) -> None:
    """Value and slope in float64 against torch.nn.functional's autograd, and derive's own PyTorch twin (which
    --verify and --from-torch use) is that function."""
    torch = require_torch()
    f = activation(name, settings)
    points = [float(z) for z in POINTS + FAR_POINTS] + [40.0, -0.3, 0.7, 3.1]
    for function in (torch_function(name, settings), f.torch):
        x = torch.tensor(points, dtype=torch.float64, requires_grad=True)
        out = function(x)
        out.sum().backward()
        for z, value, slope in zip(points, out.tolist(), x.grad.tolist()):
            assert close(f.float_value(z), value, 1e-15, 1e-300), (name, z)
            # a slope taken from a = f(z) near saturation (1 - a^2) is a difference of numbers near 1: it carries
            # an absolute error of an ulp of 1 or two, which PyTorch's vectorised kernels round differently
            assert close(f.float_slope(z, f.float_value(z)), slope, 1e-12, 2 * 2.0**-52), (name, z)


LOSS_POINTS = [(Fraction(1, 10), Fraction(0)), (Fraction(1, 2), Fraction(3, 10)), (Fraction(9, 10), Fraction(1)),
               (Fraction(999, 1000), Fraction(1, 2))]
TEXTBOOK_TERMS = {
    "half_sse": lambda a, y: (a - y) ** 2 / 2,
    "sse": lambda a, y: (a - y) ** 2,
    "mse": lambda a, y: (a - y) ** 2,
    "bce": lambda a, y: -(y * sp.log(a) + (1 - y) * sp.log(1 - a)),
    "sum": lambda a, y: a,
}


@pytest.mark.parametrize("name", sorted(TEXTBOOK_TERMS))
@mpmath.workdps(60)
def test_a_loss_term_its_derivative_and_its_slopes(name: str) -> None:
    loss = LOSSES.make(name)
    term = loss.term(A, Y)
    assert sp.simplify(term - TEXTBOOK_TERMS[name](A, Y)) == 0
    exact = Exact()
    for a, y in LOSS_POINTS:
        point = {A: sp.Rational(a.numerator, a.denominator), Y: sp.Rational(y.numerator, y.denominator)}
        shown = loss.derivative_shown(A, Y, a, y)
        assert sp.simplify(shown - sp.diff(term, A)) == 0
        slope = mpmath.mpf(str(sp.N(sp.diff(term, A).xreplace(point), 60)))
        value = mpmath.mpf(str(sp.N(term.xreplace(point), 60)))
        assert abs(to_mp(loss.exact_term(a, y, exact)) - value) < mpmath.mpf(10) ** -45
        assert abs(to_mp(loss.exact_slope(a, y, exact)) - slope) < mpmath.mpf(10) ** -40
        assert close(loss.float_slope(float(a), float(y)), float(slope), 1e-14, 1e-300)


def test_bce_clamps_as_nn_bceloss_does() -> None:
    """nn.BCELoss clamps each log at -100 and divides its gradient by max(a(1 - a), float32(1e-12))."""
    torch = require_torch()
    bce = LOSSES.make("bce")
    for a, y in ((0.0, 0.3), (1.0, 0.3), (1.0, 1.0), (0.0, 0.0), (1e-300, 0.5)):
        output = torch.tensor([a], dtype=torch.float64, requires_grad=True)
        value = torch.nn.BCELoss()(output, torch.tensor([y], dtype=torch.float64))
        value.backward()
        assert close(bce.float_term(a, y), value.item()), (a, y)
        assert close(bce.float_slope(a, y), output.grad.item()), (a, y)
    assert bce.check_outputs([0.5, 1.5]) == 1 and bce.check_outputs([0.0, 1.0]) is None
    assert bce.note([0.5], [0.3]) is None and bce.note([1.0], [0.3]).key == "loss.bce.clamped"


@pytest.mark.parametrize("name", LOSSES.names())
def test_a_loss_in_pytorch_is_the_torch_nn_loss_and_its_scale_is_pytorchs_reduction(name: str) -> None:
    torch = require_torch()
    loss = LOSSES.make(name)
    output = torch.tensor([[0.2, 0.7, 0.4], [0.9, 0.1, 0.5]], dtype=torch.float64)
    if loss.class_indices:
        target = torch.tensor([2, 0])
        rows = [[0, 0, 1], [1, 0, 0]]
    else:
        target = torch.tensor([[0.0, 1.0, 0.5], [0.3, 0.3, 1.0]], dtype=torch.float64)
        rows = target.tolist()
    assert close(loss.torch(output, target).item(), torch_loss(name, output, target).item(), 1e-15, 0)
    # E = scale * the sum of the sample terms, computed in float64 by the loss's own sample()
    scale = to_float(loss.scale(2, 3))
    terms = [loss.sample(out, row, scale, FLOAT64).terms for out, row in zip(output.tolist(), rows)]
    assert close(scale * sum(sum(t) for t in terms), torch_loss(name, output, target).item(), 1e-14, 0)
    assert loss.probabilities == (name in ("bce", "cross_entropy"))
    assert loss.uses_softmax == loss.class_indices == (name == "cross_entropy")


HUBER_DELTAS = [Fraction(1), Fraction(1, 2), Fraction(3)]
HUBER_PAIRS = [(0.3, 0.1), (-0.2, 0.25), (2.5, -1.0), (-4.0, 1.0), (1.0, 0.5), (0.7, 0.7)]


@pytest.mark.parametrize("delta", HUBER_DELTAS)
def test_the_huber_term_shown_is_the_part_its_error_is_on_and_its_slope_is_diffs(delta: Fraction) -> None:
    huber = LOSSES.make("huber", delta=delta)
    whole = huber.term(A, Y)
    definition = sp.Piecewise(((A - Y) ** 2 / 2, sp.Abs(A - Y) < delta), (delta * (sp.Abs(A - Y) - delta / 2), True))
    for a, y in HUBER_PAIRS:
        at = {A: sp.Rational(a), Y: sp.Rational(y)}
        assert huber.term_shown(A, Y, a, y).subs(at) == whole.subs(at) == definition.subs(at)
        if abs(a - y) != delta:  # the kink: both one-sided slopes are shown as the same value there
            slope = sp.diff(definition, A).subs(at)
            assert sp.nsimplify(huber.derivative_shown(A, Y, a, y).subs(at)) == sp.nsimplify(slope)


@pytest.mark.parametrize("delta", HUBER_DELTAS)
def test_the_huber_numbers_are_nn_huberlosss(delta: Fraction) -> None:
    torch = require_torch()
    huber = LOSSES.make("huber", delta=delta)
    outputs = torch.tensor([a for a, _ in HUBER_PAIRS], dtype=torch.float64, requires_grad=True)
    targets = torch.tensor([y for _, y in HUBER_PAIRS], dtype=torch.float64)
    torch.nn.functional.huber_loss(outputs, targets, delta=float(delta), reduction="sum").backward()
    terms = torch.nn.functional.huber_loss(outputs.detach(), targets, delta=float(delta), reduction="none").tolist()
    exact = Exact()
    for (a, y), term, slope in zip(HUBER_PAIRS, terms, outputs.grad.tolist()):
        assert close(huber.float_term(a, y), term, 1e-15, 0) and close(huber.float_slope(a, y), slope, 1e-15, 0)
        assert close(to_float(huber.exact_term(Fraction(a), Fraction(y), exact)), term, 1e-15, 0)
        assert close(to_float(huber.exact_slope(Fraction(a), Fraction(y), exact)), slope, 1e-15, 0)


def test_cross_entropy_sample_gradient_is_softmax_minus_target() -> None:
    torch = require_torch()
    loss = LOSSES.make("cross_entropy")
    logits = torch.tensor([[0.3, -1.2, 2.0]], dtype=torch.float64, requires_grad=True)
    target = [Fraction(1, 4), Fraction(1, 4), Fraction(1, 2)]
    value = torch.nn.CrossEntropyLoss()(logits, torch.tensor([[float(t) for t in target]], dtype=torch.float64))
    value.backward()
    exact = Exact()
    sample = loss.sample([Fraction(3, 10), Fraction(-6, 5), Fraction(2)], target, Fraction(1), exact)
    assert close(to_float(exact.total(sample.terms)), value.item())
    for mine, theirs in zip(sample.output_gradient, logits.grad[0].tolist()):
        assert close(to_float(mine), theirs)
    assert close(to_float(sum(sample.softmax)), 1.0, 0, 1e-40)


# ---------------------------------------------------------------- optimizers against torch.optim's documentation


def textbook(optimizer: Optimizer, params: list[float], gradients: list[list[float]]) -> list[list[float]]:
    """The parameters after each step, by the rules torch.optim's documentation gives (SGD: dampening 0, no Nesterov;
    L2 decay added to the gradient; RMSprop: v, the centred average and the momentum buffer start at 0)."""
    lr, decay = float(optimizer.lr), float(optimizer.weight_decay)
    history = []
    if optimizer.name == "sgd":
        momentum, buffers = float(optimizer.momentum), None
        for grads in gradients:
            g = [gi + decay * p for gi, p in zip(grads, params)]
            if momentum:
                buffers = g if buffers is None else [momentum * b + gi for b, gi in zip(buffers, g)]
                g = buffers
            params = [p - lr * gi for p, gi in zip(params, g)]
            history.append(params)
        return history
    if optimizer.name == "rmsprop":
        alpha, eps, momentum = float(optimizer.alpha), float(optimizer.eps), float(optimizer.momentum)
        v, average, buffers = [0.0] * len(params), [0.0] * len(params), [0.0] * len(params)
        for grads in gradients:
            g = [gi + decay * p for gi, p in zip(grads, params)]
            v = [alpha * vi + (1 - alpha) * gi * gi for vi, gi in zip(v, g)]
            spread = v
            if optimizer.centered:
                average = [alpha * ai + (1 - alpha) * gi for ai, gi in zip(average, g)]
                spread = [vi - ai * ai for vi, ai in zip(v, average)]
            steps = [gi / (math.sqrt(si) + eps) for gi, si in zip(g, spread)]
            if momentum:
                buffers = [momentum * b + s for b, s in zip(buffers, steps)]
                steps = buffers
            params = [p - lr * s for p, s in zip(params, steps)]
            history.append(params)
        return history
    beta1, beta2 = (float(b) for b in optimizer.betas)
    eps = float(optimizer.eps)
    m, v = [0.0] * len(params), [0.0] * len(params)
    for t, grads in enumerate(gradients, start=1):
        g = [gi + decay * p for gi, p in zip(grads, params)]
        m = [beta1 * mi + (1 - beta1) * gi for mi, gi in zip(m, g)]
        v = [beta2 * vi + (1 - beta2) * gi * gi for vi, gi in zip(v, g)]
        m_hat = [mi / (1 - beta1**t) for mi in m]
        v_hat = [vi / (1 - beta2**t) for vi in v]
        params = [p - lr * mh / (math.sqrt(vh) + eps) for p, mh, vh in zip(params, m_hat, v_hat)]
        history.append(params)
    return history


OPTIMIZER_CASES = {
    "sgd": OPTIMIZERS.make("sgd", lr=Fraction(1, 10)),
    "sgd, momentum": OPTIMIZERS.make("sgd", lr=Fraction(1, 10), momentum=Fraction(9, 10)),
    "sgd, momentum, weight decay": OPTIMIZERS.make("sgd", lr=Fraction(1, 5), momentum=Fraction(1, 2), weight_decay=Fraction(1, 100)),
    "adam": OPTIMIZERS.make("adam", lr=Fraction(1, 100)),
    "adam, betas, eps, weight decay": OPTIMIZERS.make("adam", lr=Fraction(1, 20), betas=(Fraction(1, 2), Fraction(3, 4)),
                                                      eps=Fraction(1, 1000), weight_decay=Fraction(1, 10)),
    "rmsprop": OPTIMIZERS.make("rmsprop", lr=Fraction(1, 100)),
    "rmsprop, momentum": OPTIMIZERS.make("rmsprop", lr=Fraction(1, 100), momentum=Fraction(9, 10)),
    "rmsprop, centered": OPTIMIZERS.make("rmsprop", lr=Fraction(1, 100), centered=True),
    "rmsprop, weight decay": OPTIMIZERS.make("rmsprop", lr=Fraction(1, 100), weight_decay=Fraction(1, 100)),
    "rmsprop, every setting": OPTIMIZERS.make("rmsprop", lr=Fraction(1, 20), alpha=Fraction(4, 5), eps=Fraction(1, 10**6),
                                              momentum=Fraction(1, 2), centered=True, weight_decay=Fraction(1, 100)),
}
START = [Fraction(3, 10), Fraction(-7, 20), Fraction(0), Fraction(9, 4)]
GRADIENTS = [[0.5, -0.25, 1e-3, 2.0], [0.4, -0.3, -0.2, 1.5], [-0.1, 0.05, 0.0, 1.0]]


@pytest.mark.parametrize("case", sorted(OPTIMIZER_CASES))
def test_an_optimizer_step_follows_the_textbook_rules_in_both_arithmetics_and_in_torch(case: str) -> None:
    optimizer = OPTIMIZER_CASES[case]
    expected = textbook(optimizer, [float(p) for p in START], GRADIENTS)
    for ops in (Exact(), FLOAT64):
        settings = optimizer.converted(ops)
        params = [ops.convert(p) for p in START]
        memories = [{} for _ in params]
        for t, (grads, want) in enumerate(zip(GRADIENTS, expected), start=1):
            gradients = [ops.convert(Fraction(g)) for g in grads]
            params = [optimizer.step(p, g, memory, t, ops, settings)[0] for p, g, memory in zip(params, gradients, memories)]
            assert all(close(to_float(p), w, 1e-12, 1e-15) for p, w in zip(params, want)), (ops, t, params, want)
    torch = require_torch()
    tensors = [torch.tensor(float(p), dtype=torch.float64, requires_grad=True) for p in START]
    torch_optimizer = optimizer.torch(tensors)
    for grads, want in zip(GRADIENTS, expected):
        for tensor, g in zip(tensors, grads):
            tensor.grad = torch.tensor(g, dtype=torch.float64)
        torch_optimizer.step()
        assert all(close(tensor.item(), w, 1e-12, 1e-15) for tensor, w in zip(tensors, want))


@pytest.mark.parametrize("case", sorted(OPTIMIZER_CASES))
@mpmath.workdps(60)
def test_the_first_steps_displayed_rules_give_the_steps_numbers(case: str) -> None:
    """Evaluating the SymPy rules the update section shows reproduces step(t=1), state by state."""
    optimizer = OPTIMIZER_CASES[case]
    exact = Exact()
    symbols = {key: sp.Symbol(key, real=True) for key in ("param", "gradient", "lr")}
    symbols.update({state.key: sp.Symbol(f"state_{state.key}", real=True) for state in optimizer.states})
    symbols.update({hyper.id: sp.Symbol(f"hyper_{hyper.id}", real=True) for hyper in optimizer.hypers})
    settings = optimizer.setting_values()
    values = {symbols["lr"]: optimizer.lr}
    for hyper in optimizer.hypers:
        value = settings[hyper.key]
        values[symbols[hyper.id]] = value[int(hyper.index) - 1] if isinstance(value, tuple) else value
    param, gradient = Fraction(3, 10), Fraction(1, 8)
    values.update({symbols["param"]: param, symbols["gradient"]: gradient})
    new, shown = optimizer.step(param, gradient, {}, 1, exact, optimizer.converted(exact))
    for key, rule in optimizer.first_step_rules(symbols):
        computed = sp.N(rule.xreplace({s: sp.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else v
                                       for s, v in values.items()}), 50)
        expected = new if key == "new" else shown[key]
        assert abs(mpmath.mpf(str(computed)) - to_mp(expected)) < mpmath.mpf(10) ** -40, (key, rule)
        if key != "new":
            values[symbols[key]] = expected if isinstance(expected, Fraction) else Fraction(str(to_mp(expected)))
    assert {state.key for state in optimizer.shown_states()} <= set(shown)
