"""The images `kbp image build` made, loaded once into the session's real node for every module here."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import localimages
from support.controlplane import ControlPlane


@pytest.fixture(scope="session")
def local_values(real_cluster: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Values that point the chart at the loaded images (built, or taken from the cache)."""
    refs = localimages.load(real_cluster, "api", "fileserver", "redis")
    return localimages.journal_values_file(refs, tmp_path_factory.mktemp("values"))
