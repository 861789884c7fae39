"""Shared fixtures for the layer writer tests; registers the `slow` marker."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes seconds to minutes (large layers); deselect with -m 'not slow'")
