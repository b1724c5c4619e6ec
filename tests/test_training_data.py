"""Training data beyond one batch: CSV data, mini-batches in order, epochs, against PyTorch's DataLoader and a classic tutorial."""

from __future__ import annotations

import random
from fractions import Fraction
from pathlib import Path

import pytest

from derive.api import Document, load
from derive.errors import SpecError
from derive.spec import parse_spec

from _tools import require_torch

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _network_spec(batch_size: int, loss: str = "half_sse", optimizer: str = "sgd", **train) -> dict:
    return {
        "layer": [
            {"activation": "sigmoid", "weight": [[0.2, -0.3], [0.4, 0.1]], "bias": [0.1, -0.1]},
            {"activation": "sigmoid", "weight": [[0.5, -0.4], [-0.3, 0.6]], "bias": [0.05, -0.05]},
        ],
        "data": {
            "input": [[0.5, 1.2], [1.0, 0.4], [1.5, 1.8], [3.0, 1.0], [2.6, 0.3], [3.4, 1.6], [0.8, 0.9]],
            "target": [[1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [0, 1], [1, 0]],
        },
        "loss": {"kind": loss},
        "train": {"optimizer": optimizer, "lr": 0.5, "batch_size": batch_size, **train},
    }


def _dataloader_run(spec: dict, epochs: int | None = None, steps: int | None = None):
    """The same network trained by a plain PyTorch loop over DataLoader(shuffle=False), in float64."""
    torch = require_torch()
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sigmoid(), torch.nn.Linear(2, 2), torch.nn.Sigmoid()).double()
    with torch.no_grad():
        for linear, layer in zip((model[0], model[2]), spec["layer"]):
            linear.weight.copy_(torch.tensor(layer["weight"], dtype=torch.float64))
            linear.bias.copy_(torch.tensor(layer["bias"], dtype=torch.float64))
    x = torch.tensor(spec["data"]["input"], dtype=torch.float64)
    y = torch.tensor(spec["data"]["target"], dtype=torch.float64)
    loader = DataLoader(TensorDataset(x, y), batch_size=spec["train"]["batch_size"], shuffle=False)
    loss_of = {"half_sse": lambda o, t: 0.5 * ((o - t) ** 2).sum(), "mse": torch.nn.functional.mse_loss}[spec["loss"]["kind"]]
    settings = {key: value for key, value in spec["train"].items() if key not in ("optimizer", "batch_size", "epochs", "steps")}
    optimizer = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[spec["train"]["optimizer"]](model.parameters(), **settings)
    history = []
    while True:
        for xb, yb in loader:
            if steps is not None and len(history) == steps:
                break
            optimizer.zero_grad()
            loss = loss_of(model(xb), yb)
            loss.backward()
            optimizer.step()
            history.append(loss.item())
        if (epochs is not None and len(history) == epochs * len(loader)) or (steps is not None and len(history) == steps):
            break
    with torch.no_grad():
        final = loss_of(model(x), y).item()
    weights = [model[0].weight.tolist(), model[2].weight.tolist()]
    return history, final, weights


@pytest.mark.parametrize(
    "batch_size, loss, optimizer, extra",
    [(1, "half_sse", "sgd", {}), (3, "mse", "adam", {"betas": [0.9, 0.99]}), (2, "half_sse", "sgd", {"momentum": 0.9})],
)
def test_mini_batches_in_order_match_a_dataloader_loop(batch_size: int, loss: str, optimizer: str, extra: dict) -> None:
    spec = _network_spec(batch_size, loss, optimizer, epochs=4, **extra)
    training = Document(load(spec)).training
    history, final, weights = _dataloader_run(spec, epochs=4)
    assert training.loss_history == pytest.approx(history, rel=1e-12)
    assert training.final_loss == pytest.approx(final, rel=1e-12)
    for ours, theirs in zip(training.final.weights, weights):
        assert [v for row in ours for v in row] == pytest.approx([v for row in theirs for v in row], rel=1e-12)


def test_steps_count_updates_and_wrap_around_the_batches() -> None:
    spec = _network_spec(3, steps=8)  # 7 samples: batches of 3, 3 and 1, so step 4 starts the second epoch
    training = Document(load(spec)).training
    history, final, _ = _dataloader_run(spec, steps=8)
    assert len(training.loss_history) == 8
    assert training.loss_history == pytest.approx(history, rel=1e-12)
    assert training.final_loss == pytest.approx(final, rel=1e-12)


def test_the_epoch_loss_is_the_loss_of_the_epochs_outputs() -> None:
    """A summed loss sums its batches; a mean weighs each batch's mean by its size (3, 3 and 1 samples here)."""
    summed = Document(load(_network_spec(3, epochs=2))).training
    assert summed.epoch_losses[0] == pytest.approx(sum(summed.loss_history[:3]), rel=1e-15)
    mean = Document(load(_network_spec(3, "mse", epochs=2))).training
    assert mean.epoch_losses[1] == pytest.approx(sum(l * n for l, n in zip(mean.loss_history[3:], (3, 3, 1))) / 7, rel=1e-15)


# Jason Brownlee's "How to Code a Neural Network with Backpropagation In Python (from scratch)",
# Machine Learning Mastery (2016): a 2-2-2 sigmoid network, weights from random.seed(1), trained
# online on its ten rows for 20 epochs at learning rate 0.5. Its dataset, cited as published:
TUTORIAL_DATA = [
    (2.7810836, 2.550537003, 0), (1.465489372, 2.362125076, 0), (3.396561688, 4.400293529, 0),
    (1.38807019, 1.850220317, 0), (3.06407232, 3.005305973, 0), (7.627531214, 2.759262235, 1),
    (5.332441248, 2.088626775, 1), (6.922596716, 1.77106367, 1), (8.675418651, -0.242068655, 1),
    (7.673756466, 3.508563011, 1),
]


def _tutorial_run():
    """The tutorial's own procedure: per row, forward, squared error summed, backward, update in place."""
    import math

    random.seed(1)
    network = [[[random.random() for _ in range(3)] for _ in range(2)] for _ in range(2)]  # neuron: w..., bias
    errors = []
    for _ in range(20):
        total = 0.0
        for *row, label in TUTORIAL_DATA:
            outputs = [list(row)]
            for layer in network:
                inputs = outputs[-1]
                outputs.append([1 / (1 + math.exp(-(w[-1] + sum(wi * x for wi, x in zip(w, inputs))))) for w in layer])
            expected = [1.0 if k == label else 0.0 for k in range(2)]
            total += sum((e - o) ** 2 for e, o in zip(expected, outputs[-1]))
            deltas = [[(o - e) * o * (1 - o) for o, e in zip(outputs[-1], expected)]]
            hidden = outputs[1]
            deltas.insert(0, [sum(network[1][k][j] * deltas[0][k] for k in range(2)) * a * (1 - a) for j, a in enumerate(hidden)])
            for layer, layer_deltas, inputs in zip(network, deltas, outputs):
                for w, delta in zip(layer, layer_deltas):
                    for i, x in enumerate(inputs):
                        w[i] -= 0.5 * delta * x
                    w[-1] -= 0.5 * delta
        errors.append(total)
    return network, errors


def test_the_classic_tutorials_online_run_is_reproduced() -> None:
    random.seed(1)
    start = [[[random.random() for _ in range(3)] for _ in range(2)] for _ in range(2)]
    spec = {
        "layer": [{"activation": "sigmoid", "weight": [w[:2] for w in layer], "bias": [w[2] for w in layer]} for layer in start],
        "data": {"input": [list(row[:2]) for row in TUTORIAL_DATA], "target": [[1 - row[2], row[2]] for row in TUTORIAL_DATA]},
        "loss": {"kind": "half_sse"},
        "train": {"lr": 0.5, "batch_size": 1, "epochs": 20},
    }
    training = Document(load(spec)).training
    network, errors = _tutorial_run()
    # The tutorial prints the sum over the rows of the squared errors: twice the summed half_sse.
    assert [2 * loss for loss in training.epoch_losses] == pytest.approx(errors, rel=1e-12)
    for ours, layer in zip(training.final.weights, network):
        assert [v for row in ours for v in row] == pytest.approx([v for w in layer for v in w[:2]], rel=1e-12)
    for ours, layer in zip(training.final.biases, network):
        assert ours == pytest.approx([w[2] for w in layer], rel=1e-12)


def test_the_csv_example_reads_its_file_exactly_and_traces_epochs() -> None:
    network = load("online-sgd")
    assert network.data.batch_size == 10 and network.data.inputs[0] == (Fraction(1, 2), Fraction(6, 5))
    assert network.updates == 200 and network.data.source == "online-sgd.csv"
    document = Document(network)
    text = document.markdown()
    assert "200 updates in all" in text and "## Training for 20 epochs: 200 updates" in text
    payload = __import__("json").loads(document.json())
    assert len(payload["epoch_loss"]) == 20 and len(payload["loss_history"]) == 200
    assert payload["quantities"]["E_epoch20"] == payload["epoch_loss"][-1]


def _csv_spec(tmp_path: Path, csv: str, **data) -> str:
    (tmp_path / "data.csv").write_text(csv)
    table = {"file": "data.csv", "input_columns": ["a", "b"], "target_columns": ["y"], **data}
    items = "\n".join(f"{key} = {value!r}".replace("'", '"') for key, value in table.items())
    return (
        '[[layer]]\nactivation = "sigmoid"\nweight = [[0.1, 0.2]]\n\n'
        f"[data]\n{items}\n"
    )


def _read(tmp_path: Path, csv: str, **data):
    return parse_spec(_csv_spec(tmp_path, csv, **data), "spec.toml", "spec", folder=tmp_path)


def test_csv_columns_by_name_or_number(tmp_path: Path) -> None:
    network = _read(tmp_path, "a,b,y\n0.1,0.2,0.3\n1e-3,-2,4\n", input_columns=[0, "b"])
    assert network.data.inputs == ((Fraction(1, 10), Fraction(1, 5)), (Fraction(1, 1000), Fraction(-2)))
    assert network.data.targets == ((Fraction(3, 10),), (Fraction(4),))


@pytest.mark.parametrize(
    "csv, data, message",
    [
        ("a,b,y\n0.1,zero,0.3\n", {}, r"data\.csv:2: column 'b': expected a decimal number such as 0\.05, found 'zero'"),
        ("a,b,y\n0.1,0.2\n", {}, r"data\.csv:2: column 'y': expected a number, found nothing"),
        ("a,b,y\n0.1,0.2,0.3\n", {"target_columns": ["z"]}, r"data\.target_columns\[0\]: expected a column of data\.csv"),
        ("a,b,y\n", {}, r"data\.csv: expected a header row and at least one row of numbers"),
        ("a,b,y\n0.1,0.2,0.3\n", {"file": "../data.csv"}, r"data\.file: expected a file in the spec's folder"),
        ("a,b,y\n0.1,0.2,0.3\n", {"file": "/etc/passwd"}, r"data\.file: expected a file in the spec's folder"),
        ("a,b,y\n0.1,0.2,0.3\n", {"file": "missing.csv"}, r"data\.file: expected an existing CSV file"),
    ],
)
def test_bad_csv_data_is_refused_with_file_line_and_column(tmp_path: Path, csv: str, data: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        _read(tmp_path, csv, **data)


def test_steps_and_epochs_together_are_refused() -> None:
    with pytest.raises(SpecError, match=r"train\.epochs: expected either steps \(updates\) or epochs"):
        load(_network_spec(2, steps=3, epochs=2))
