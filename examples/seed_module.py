"""The seed network as PyTorch code: Matt Mazur's 2-2-2 sigmoid network with PyTorch's per-neuron biases.

derive reads it with --from-torch, in a fresh clone, from the repository's root:

    python -m derive --from-torch examples/seed_module.py:SeedNetwork --input 0.05,0.10 --target 0.01,0.99 --loss half_sse --lr 0.5

which writes output/seed_module.md, the same derivation as the built-in example mazur. Run as a
script (python examples/seed_module.py) it prints the gradients and the parameters after one SGD step.
"""

from __future__ import annotations

import torch
from torch import nn


class SeedNetwork(nn.Module):
    """Two inputs, a hidden layer of two sigmoid neurons and two sigmoid outputs, each neuron with its own bias."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(2, 2)
        self.output = nn.Linear(2, 2)
        with torch.no_grad():  # the post's weights, and its biases 0.35 and 0.60 given to every neuron of a layer
            self.hidden.weight.copy_(torch.tensor([[0.15, 0.20], [0.25, 0.30]]))
            self.hidden.bias.fill_(0.35)
            self.output.weight.copy_(torch.tensor([[0.40, 0.45], [0.50, 0.55]]))
            self.output.bias.fill_(0.60)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The outputs: a sigmoid after each layer."""
        return torch.sigmoid(self.output(torch.sigmoid(self.hidden(x))))


def one_step() -> None:
    """One SGD step on the seed's sample, with half the sum of squared errors, printed as PyTorch prints it."""
    network = SeedNetwork()
    loss = ((network(torch.tensor([[0.05, 0.10]])) - torch.tensor([[0.01, 0.99]])) ** 2).sum() / 2
    loss.backward()
    print(loss.detach())
    for name, parameter in network.named_parameters():
        print(f"{name}.grad", parameter.grad)
    torch.optim.SGD(network.parameters(), lr=0.5).step()
    print(network.state_dict())


if __name__ == "__main__":
    one_step()
