"""derive: backpropagation written out by hand, checked against PyTorch."""
__version__ = "0.1.0"
