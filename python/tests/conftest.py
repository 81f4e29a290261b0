"""Fixtures of the Python tests; the helpers themselves are in spool_test_support.py."""

import pytest

from spool_test_support import emulator_url


@pytest.fixture
def emulator() -> str:
    """The URL of the suite's BigQuery emulator (scripts/test starts it)."""
    return emulator_url()
