"""Where things live on disk. Each setting: explicit argument > environment variable > default."""

from __future__ import annotations

import os
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
    Must run before datasets / transformers / lm_eval are imported."""
    if not needs_hub:
        for var in HUB_OFFLINE_VARS:
            os.environ.setdefault(var, "1")
