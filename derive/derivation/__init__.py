"""The document model: graph, notation, quantities and sections, built as one pure function."""

from .build import derive_document, quantities_of
from .model import Block, Chart, Derivation, Equation, Section, Table

__all__ = ["Block", "Chart", "Derivation", "Equation", "Section", "Table", "derive_document", "quantities_of"]
