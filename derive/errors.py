"""The exception hierarchy: every user-caused problem is a DeriveError with a short message."""

from __future__ import annotations


class DeriveError(Exception):
    """Base class of every error derive reports to a user (exit status 2 unless stated)."""

    exit_status = 2


class SpecError(DeriveError):
    """A spec file, built-in example name or command-line network description is invalid."""


class UsageError(DeriveError):
    """The command line asks for something that cannot be done."""


class NotComputable(UsageError):
    """A quantity whose formula has no finite value at the values it is given (1/(1 - out) at out = 1)."""

    def __init__(self, quantity: str, reason: str) -> None:
        super().__init__(f"{quantity} {reason}")
        self.quantity, self.reason = quantity, reason


class ToolMissingError(DeriveError):
    """An optional tool (pdflatex, torch) is needed but not installed."""


class VerificationError(DeriveError):
    """derive's numbers and PyTorch's disagree beyond the tolerance."""

    exit_status = 1


class RenderError(DeriveError):
    """A renderer or an external tool failed on a document derive made: a bug, not the user's input."""

    exit_status = 1
