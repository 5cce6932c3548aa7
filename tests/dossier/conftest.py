import shutil
from pathlib import Path

import pytest

from scripts import services


def remove_cluster(requested: Path) -> None:
    """Remove a private cluster's files, also when they were kept outside the test's directory."""
    real = requested.resolve()
    if requested.is_symlink():
        requested.unlink()
    shutil.rmtree(real, ignore_errors=True)


@pytest.fixture
def private_postgres(tmp_path):
    """A private PostgreSQL cluster on a free port, removed after the test."""
    cluster = services.PrivatePostgres(tmp_path / "pg")
    cluster.url_given = cluster.start()
    services.create_database(cluster.url_given)
    yield cluster
    cluster.stop()
    remove_cluster(tmp_path / "pg")
