"""derive: backpropagation written out by hand, checked against PyTorch.

    import derive
    doc = derive.derive("mazur")          # or a spec path, a dict, or derive.load(...)
    doc.quantities["grad_w5"]             # every value by its ID
    doc.markdown()                        # or .latex(), .json(), .pdf()
"""

from .api import Document, derive, from_torch, load
from .errors import DeriveError, SpecError, UsageError, VerificationError
from .options import Options

__version__ = "0.2.0"

__all__ = [
    "DeriveError", "Document", "Options", "SpecError", "UsageError", "VerificationError",
    "derive", "from_torch", "load", "__version__",
]
