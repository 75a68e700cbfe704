from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crossdock.config import Settings, load_settings
from tests.support.databases import fresh_database


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database(tmp_path) as url:
        yield url


def write_config(folder: Path, **jobs: object) -> Path:
    """A crossdock.toml for a test hub or worker: fast polling and heart-beats, the sample jobs loaded.
    The database URL is given through CROSSDOCK_DATABASE_URL, as production does with a password."""
    values: dict[str, object] = {
        "poll_interval_ms": 20,
        "heartbeat_seconds": 0.5,
        "worker_concurrency": 8,
        "extra_modules": ["tests.support.sample_jobs"],
        **jobs,
    }
    lines = ["[log]", 'level = "warning"', "", "[jobs]"]
    for key, value in values.items():
        lines.append(f"{key} = {value!r}".replace("'", '"'))
    lines += ["", "[[accounts]]", 'id = "acme"', 'name = "Acme Outdoor"']
    path = folder / "crossdock.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(tmp_path)


@pytest.fixture
def hub_environ(database_url: str) -> dict[str, str]:
    return {"CROSSDOCK_DATABASE_URL": database_url}


@pytest.fixture
def settings(config_path: Path, hub_environ: dict[str, str]) -> Settings:
    return load_settings(config_path, environ=hub_environ)
