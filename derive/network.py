"""The validated, immutable description of a network, its data, loss and training setup."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

from .components.activations import Activation
from .components.losses import Loss
from .components.losses.half_sse import HalfSSE
from .components.optimizers import Optimizer
from .components.optimizers.sgd import SGD

if TYPE_CHECKING:
    from .spec.exercise_table import ExerciseSettings

Matrix = tuple[tuple[Fraction, ...], ...]


@dataclass(frozen=True)
class Layer:
    """One fully connected layer: weight is out x in, as in ``nn.Linear``."""

    activation: Activation
    weight: Matrix
    bias: tuple[Fraction, ...] | Fraction | None
    train_bias: bool = True

    @property
    def in_features(self) -> int:
        """Number of inputs the layer takes."""
        return len(self.weight[0])

    @property
    def out_features(self) -> int:
        """Number of neurons in the layer."""
        return len(self.weight)

    @property
    def bias_kind(self) -> str:
        """``per_neuron``, ``shared`` (one bias for the layer) or ``none``."""
        if self.bias is None:
            return "none"
        return "shared" if isinstance(self.bias, Fraction) else "per_neuron"

    @property
    def bias_trained(self) -> bool:
        """Whether the optimizer updates this layer's bias."""
        return self.bias is not None and self.train_bias


@dataclass(frozen=True)
class Data:
    """The samples: inputs are samples x in; targets are samples x out, or class indices."""

    inputs: Matrix
    targets: Matrix | tuple[int, ...]
    source: str = ""  # the CSV file the samples were read from, as the spec names it

    @property
    def batch_size(self) -> int:
        """Number of samples."""
        return len(self.inputs)

    @property
    def targets_are_indices(self) -> bool:
        """True when the targets are class indices (cross-entropy only)."""
        return bool(self.targets) and isinstance(self.targets[0], int)


@dataclass(frozen=True)
class Train:
    """The optimizer and how long to train: ``steps`` updates, or ``epochs`` passes over the data.

    ``batch_size`` splits the samples into mini-batches in order, as ``DataLoader(shuffle=False)``
    does; None means one batch of every sample.
    """

    optimizer: Optimizer = field(default_factory=SGD)
    steps: int = 1
    batch_size: int | None = None
    epochs: int | None = None


@dataclass(frozen=True)
class Published:
    """A figure a published source gives for this network, to set beside derive's exact one."""

    source: str
    loss_after: Fraction | None = None
    figures: tuple[tuple[str, Fraction], ...] = ()  # other figures by quantity ID (dE_o2_dout_h1)


@dataclass(frozen=True)
class Network:
    """Everything a derivation needs: layers, data, loss and training."""

    layers: tuple[Layer, ...]
    data: Data
    loss: Loss = field(default_factory=HalfSSE)
    train: Train = field(default_factory=Train)
    title: str = ""  # the spec's; none: the catalogue's default title in the document's language
    name: str = "network"
    source: str = ""
    provenance: tuple[str, ...] = ()  # dtypes of the PyTorch tensors the starting numbers came from
    parameter_names: tuple[str, ...] = ()  # each layer's name in its module (linear1, 0, model.2), if one
    published: Published | None = None
    titles: tuple[tuple[str, str], ...] = ()  # the spec's title in other languages, by language code
    exercise: "ExerciseSettings | None" = None  # the spec's [exercise] table, for drawing variants

    @property
    def widths(self) -> tuple[int, ...]:
        """Units per layer, input layer first."""
        return (self.layers[0].in_features,) + tuple(layer.out_features for layer in self.layers)

    @property
    def parameter_count(self) -> int:
        """Number of scalar parameters (a shared bias counts once)."""
        count = 0
        for layer in self.layers:
            count += layer.out_features * layer.in_features
            if layer.bias_kind == "per_neuron":
                count += layer.out_features
            elif layer.bias_kind == "shared":
                count += 1
        return count

    def batches(self) -> tuple[tuple[int, ...], ...]:
        """The sample indices of each mini-batch, in order."""
        count = self.data.batch_size
        size = self.train.batch_size or count
        return tuple(tuple(range(start, min(start + size, count))) for start in range(0, count, size))

    @property
    def updates(self) -> int:
        """How many optimizer steps the run makes."""
        if self.train.epochs is not None:
            return self.train.epochs * len(self.batches())
        return self.train.steps

