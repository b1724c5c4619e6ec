"""Shared pytest options: --update-golden regenerates output/ on purpose."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the rendered examples in output/ instead of checking them",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when the run was asked to regenerate output/."""
    return bool(request.config.getoption("--update-golden"))
