"""Where things live on disk. Each setting: explicit argument > environment variable > default."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

APP = "xbench"


def _user_dir(kind: str) -> Path:
    import platformdirs  # small, but only needed here

    return Path(getattr(platformdirs, f"user_{kind}_dir")(APP))


def db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The DuckDB store: `--db` > `XBENCH_DB` > `<user data dir>/xbench.duckdb`."""
    if explicit:
        return Path(explicit)
    if env := os.environ.get("XBENCH_DB"):
        return Path(env)
    return _user_dir("data") / "xbench.duckdb"


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """Local copies of the data sets: `--data-dir` > `XBENCH_DATA_DIR` > None (public source)."""
    value = explicit or os.environ.get("XBENCH_DATA_DIR")
    return Path(value).expanduser() if value else None


def cache_dir() -> Path:
    """Converted model weights and lm-eval response caches: `XBENCH_CACHE_DIR` > user cache."""
    if env := os.environ.get("XBENCH_CACHE_DIR"):
        return Path(env)
    return _user_dir("cache")


HUB_OFFLINE_VARS = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE")


def go_offline_unless(needs_hub: bool) -> None:
    """Keep the Hugging Face libraries off the network when a run needs nothing from the hub
    (local data dir, local or packaged model): no update checks, no silent downloads, and the
    same behaviour with and without internet. A variable the user set explicitly wins.
    Inside `xbench.run` this lasts for the run only (`hub_environment_restored`)."""
    if not needs_hub:
        for var in HUB_OFFLINE_VARS:
            os.environ.setdefault(var, "1")
    _sync_hub_libraries()


@contextmanager
def hub_environment_restored() -> Iterator[None]:
    """Leave the caller's hub variables (and the libraries' offline flags read from them) as
    they were before: `xbench.run` in a notebook does not switch the rest of the process
    offline."""
    saved = {var: os.environ.get(var) for var in HUB_OFFLINE_VARS}
    try:
        yield
    finally:
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value
        _sync_hub_libraries()


def _sync_hub_libraries() -> None:
    """huggingface_hub and datasets read the offline variables once, at import; re-read them
    in the modules already imported, so the current environment is what they follow."""
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        hub_offline = _true(
            os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE")
        )
        constants.HF_HUB_OFFLINE = hub_offline
        config = sys.modules.get("datasets.config")
        if config is not None:
            own = os.environ.get("HF_DATASETS_OFFLINE")
            config.HF_HUB_OFFLINE = hub_offline if own is None else _true(own)
            config.HF_DATASETS_OFFLINE = config.HF_HUB_OFFLINE


def _true(value: str | None) -> bool:
    return (value or "").strip().upper() in {"1", "ON", "YES", "TRUE"}
