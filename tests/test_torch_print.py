"""derive.render.torch_print: the section "The same numbers as PyTorch prints them" is PyTorch's own
str(tensor), string for string, under the names a script's named_parameters() gives."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import derive
from derive.engine.training import train
from conftest import require_torch
from derive.render.torch_print import layer_names, pytorch_listing, tensor_str

torch = require_torch()
nn = torch.nn

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def torch_str(values, dtype: str) -> str:
    """What torch itself prints, under its default print options (restored whatever happens)."""
    torch.set_printoptions(profile="default", sci_mode=None)
    try:
        return str(torch.tensor(values, dtype=DTYPES[dtype]))
    finally:
        torch.set_printoptions(profile="default", sci_mode=None)


SPECIAL = [0.0, -0.0, 1.0, -1.0, 2.0, 0.5, -0.5, 1e-4, 9.999e-5, 1e8, 1.0000001e8, 2.5e-8, 123456.0, 1e-30,
           3.4e38, 1e-45, 1e300, 0.00049999, 0.99995, 1000.0, 1000.5]
NUMBER = st.one_of(
    st.sampled_from(SPECIAL),
    st.integers(-10**6, 10**6).map(float),  # whole numbers: torch's `1.` form
    st.floats(-1000, 1000, width=32),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.floats(allow_nan=False, allow_infinity=False),  # float64 values, some beyond float32's range
)
SCALE = st.integers(-12, 12).map(lambda k: 10.0 ** k)


def scaled(values, scale: float):
    if isinstance(values, list):
        return [scaled(v, scale) for v in values]
    return values * scale


VECTOR = st.lists(NUMBER, min_size=1, max_size=40)
MATRIX = st.integers(1, 12).flatmap(
    lambda columns: st.lists(st.lists(NUMBER, min_size=columns, max_size=columns), min_size=1, max_size=8)
)
TENSOR = st.one_of(NUMBER, VECTOR, MATRIX, st.builds(scaled, st.one_of(VECTOR, MATRIX), SCALE))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=TENSOR, dtype=st.sampled_from(sorted(DTYPES)))
@example(values=2.5e-8, dtype="float32")
@example(values=-0.0, dtype="float32")
@example(values=[1.0, -0.0], dtype="float32")
@example(values=[0.5, -0.0], dtype="float64")
@example(values=[[1e-5, 1.0], [2.0, -3.0]], dtype="float32")
@example(values=[[1.0] * 30, [2.0] * 30], dtype="float64")
def test_the_formatter_prints_what_torch_prints(values, dtype: str) -> None:
    assert tensor_str(values, dtype) == torch_str(values, dtype)


@pytest.mark.parametrize("values, printed", [
    (2.5e-8, "tensor(2.5000e-08)"),
    (0.0, "tensor(0.)"),
    (-0.0, "tensor(-0.)"),
    ([1.0, 0.0], "tensor([1., 0.])"),
    ([0.5, -0.0], "tensor([0.5000, -0.0000])"),  # a zero does not count towards the width
    ([1e-5, 1.0], "tensor([1.0000e-05, 1.0000e+00])"),
    ([0.15, 0.2], "tensor([0.1500, 0.2000])"),
    ([[0.0004, 0.0009], [0.0005, 0.001]], "tensor([[0.0004, 0.0009],\n        [0.0005, 0.0010]])"),
])
def test_the_forms_torch_uses(values, printed: str) -> None:
    assert tensor_str(values) == printed == torch_str(values, "float32")


PRINTED = [
    [[0.0004, 0.0009], [0.0005, 0.0010]], [[1e-5, 2.0]], [[1.0, 2.0]], [0.5], [[-0.0226, 0.0822]], [[0.0, 0.0]],
    [[-1.5, 2.25], [3.0, -4.125]], [[1e-9]], [[0.1, 1234.5]], [[0.1, 99.9]], [[0.00012, 0.5]], [[0.0, 1e-5]],
    [[12345.678]], [[3.0]],
    # whole numbers spanning more than three decades print in scientific notation, as torch prints them
    # (the formatter before str(tensor) printed them as 1., 2000.)
    [[1.0, 2000.0]], [[123456789.0, 1.0]],
]


@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("values", PRINTED, ids=[str(v) for v in PRINTED])
def test_a_table_of_tensors_prints_as_torch_prints_them(values, dtype: str) -> None:
    assert tensor_str(values, dtype) == torch_str(values, dtype)


@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("values", [
    [0.001 * i for i in range(1500)],  # over 1000 entries: the first and last three, with ...
    [[0.5 + r - c for c in range(40)] for r in range(40)],
    [[float(c) for c in range(600)], [1e-6] * 600],
    [[1.0, 2.0]] * 700,
], ids=["vector", "square", "wide", "tall"])
def test_a_summarized_tensor(values, dtype: str) -> None:
    assert tensor_str(values, dtype) == torch_str(values, dtype)


# ---------------------------------------------------------------- the listing


class Seed(nn.Module):
    """The seed script's network (../shared/seed/seed_net.py), its attributes named as there."""

    def __init__(self, dtype=torch.float32) -> None:
        super().__init__()
        self.linear1 = nn.Linear(2, 2, dtype=dtype)
        self.linear2 = nn.Linear(2, 2, dtype=dtype)
        with torch.no_grad():
            self.linear1.weight.copy_(torch.tensor([[0.15, 0.20], [0.25, 0.30]]))
            self.linear2.weight.copy_(torch.tensor([[0.40, 0.45], [0.50, 0.55]]))
            self.linear1.bias.fill_(0.35)
            self.linear2.bias.fill_(0.60)

    def forward(self, x):
        return torch.sigmoid(self.linear2(torch.sigmoid(self.linear1(x))))


def torch_listing(module: nn.Module, dtype: torch.dtype) -> str:
    """The listing a PyTorch script prints: one SGD step of the half-SSE loss, lr 0.5."""
    inputs = torch.tensor([[0.05, 0.10]], dtype=dtype)
    target = torch.tensor([[0.01, 0.99]], dtype=dtype)
    output = module(inputs)
    loss = ((output - target) ** 2).sum() / 2
    optimizer = torch.optim.SGD(module.parameters(), lr=0.5)
    optimizer.zero_grad()
    loss.backward()
    lines = ["# output", torch_str(output.detach().tolist(), str(dtype)[6:]),
             "# loss", torch_str(loss.item(), str(dtype)[6:])]
    named = dict(module.named_parameters())
    for name, parameter in named.items():
        lines += [f"# {name}.grad", str(parameter.grad)]
    optimizer.step()
    for name, parameter in named.items():
        lines += [f"# {name} after optimizer.step()", str(parameter.detach())]
    return "\n".join(lines)


def reorder(listing: str) -> str:
    """A listing's entries (comment and tensor) as a sorted block, since torch lists weight, bias per layer."""
    entries, current = [], []
    for line in listing.splitlines():
        if line.startswith("# ") and current:
            entries.append("\n".join(current))
            current = []
        current.append(line)
    entries.append("\n".join(current))
    return "\n".join(sorted(entries))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_listing_is_what_the_seed_script_prints(dtype) -> None:
    network = derive.from_torch(Seed(dtype), [[0.05, 0.10]], [[0.01, 0.99]], lr=0.5)
    listing = pytorch_listing(network, train(network))
    assert "linear1.weight.grad" in listing and "layer1" not in listing
    assert reorder(listing) == reorder(torch_listing(Seed(dtype), dtype))
    assert ("dtype=torch.float64" in listing) == (dtype == torch.float64)


def test_the_intro_names_the_dtype_shown() -> None:
    float32 = derive.derive(derive.from_torch(Seed(), [[0.05, 0.10]], [[0.01, 0.99]])).markdown()
    float64 = derive.derive(derive.from_torch(Seed(torch.float64), [[0.05, 0.10]], [[0.01, 0.99]])).markdown()
    assert "with float32 tensors, PyTorch's default dtype" in float32
    assert "with float64 tensors" in float64 and "dtype=torch.float64" in float64


class Wrapped(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))

    def forward(self, x):
        return self.model(x)


@pytest.mark.parametrize("module", [
    nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 2)),
    Wrapped(),
    Seed(),
], ids=["sequential", "attribute-sequential", "attributes"])
def test_the_listing_uses_the_names_of_named_parameters(module) -> None:
    outputs = list(module.parameters())[-1].shape[0]
    network = derive.from_torch(module, [[0.05, 0.10]], [[0.5] * outputs])
    expected = [name.rsplit(".", 1)[0] for name, _ in module.named_parameters()][::2]
    assert layer_names(network) == tuple(expected)
    listing = pytorch_listing(network, train(network))
    for name, _ in module.named_parameters():
        assert f"# {name}.grad\n" in listing and f"# {name} after optimizer.step()\n" in listing + "\n"


def test_a_spec_falls_back_to_layer_numbers() -> None:
    network = derive.load("mazur")
    assert layer_names(network) == ("layer1", "layer2")
    assert "# layer2.bias.grad\ntensor([ 0.1385, -0.0381])" in pytorch_listing(network, train(network))
