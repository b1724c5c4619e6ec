"""Reading a network: spec files and built-in examples (TOML), CSV data, PyTorch modules."""

from .files import builtin_examples, load_spec, parse_spec
from .reader import network_from_dict

__all__ = ["builtin_examples", "load_spec", "network_from_dict", "parse_spec"]
