"""The validated, immutable description of a network, its data, loss and training setup."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")
LOSSES = ("half_sse", "sse", "mse", "bce", "cross_entropy")
OPTIMIZERS = ("sgd", "adam")

Matrix = tuple[tuple[Fraction, ...], ...]


@dataclass(frozen=True)
class Layer:
    """One fully connected layer: weight is out x in, as in ``nn.Linear``."""

    activation: str
    weight: Matrix
    bias: tuple[Fraction, ...] | Fraction | None
    train_bias: bool = True
    negative_slope: Fraction = Fraction(1, 100)

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
    """The batch: inputs are batch x in; targets are batch x out, or class indices."""

    inputs: Matrix
    targets: Matrix | tuple[int, ...]

    @property
    def batch_size(self) -> int:
        """Number of samples in the batch."""
        return len(self.inputs)

    @property
    def targets_are_indices(self) -> bool:
        """True when the targets are class indices (cross-entropy only)."""
        return bool(self.targets) and isinstance(self.targets[0], int)


@dataclass(frozen=True)
class Train:
    """Optimizer settings, named and defaulted as in ``torch.optim``."""

    optimizer: str = "sgd"
    lr: Fraction = Fraction(1, 2)
    momentum: Fraction = Fraction(0)
    weight_decay: Fraction = Fraction(0)
    betas: tuple[Fraction, Fraction] = (Fraction(9, 10), Fraction(999, 1000))
    eps: Fraction = Fraction(1, 10**8)
    steps: int = 1


@dataclass(frozen=True)
class Network:
    """Everything a derivation needs: layers, data, loss kind and training."""

    layers: tuple[Layer, ...]
    data: Data
    loss: str = "half_sse"
    train: Train = field(default_factory=Train)
    title: str = "A step-by-step backpropagation example"
    name: str = "network"
    source: str = ""
    provenance: str = ""  # where the starting numbers came from, when not typed as decimals

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
