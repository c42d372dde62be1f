from __future__ import annotations

from pathlib import Path

import pytest

from tests.realprograms import make_locales


@pytest.fixture(scope="session")
def locpath(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private LOCPATH with the test locales, generated once per session."""
    return make_locales(tmp_path_factory.mktemp("locales"))
