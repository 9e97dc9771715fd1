"""A store filled by real `xbench run` calls: two fake models, a sensitive task, and SmolLM2."""

from pathlib import Path

import pytest

import xbench
from tests.helpers import CAPITALS

PLUGINS = [CAPITALS, Path(__file__).parents[1] / "plugins"]  # capitals + sensitive_demo.py


@pytest.fixture(scope="session")
def filled_db(tmp_path_factory, shared_data) -> Path:
    db = tmp_path_factory.mktemp("leaderboard") / "x.duckdb"
    common = dict(db=db, data_dir=shared_data, progress=False)
    for accuracy in (0.3, 0.8):
        xbench.run(
            model=f"fake:accuracy={accuracy}", tasks=["mgsm_native_cot", "mgsm_en_cot"],
            languages=["en", "de", "zh", "sw"], limit=12, **common,
        )  # fmt: skip
        xbench.run(
            model=f"fake:accuracy={accuracy}", tasks=["capitals", "moodcheck"],
            plugin_paths=PLUGINS, **common,
        )  # fmt: skip
    xbench.run(
        model="smollm2-135m", tasks=["mgsm_direct"], languages=["en", "de"], limit=2,
        max_gen_toks=8, **common,
    )  # fmt: skip
    return db


def _point_app_at(db: Path, monkeypatch) -> Path:
    """AppTest runs the script in this process: the store via XBENCH_DB, no cached queries."""
    monkeypatch.setenv("XBENCH_DB", str(db))
    import streamlit as st

    st.cache_data.clear()
    return db


@pytest.fixture()
def app_env(filled_db, monkeypatch):
    return _point_app_at(filled_db, monkeypatch)


@pytest.fixture(scope="session")
def mt_db(tmp_path_factory, shared_data) -> Path:
    """A store with one MT run in both directions (four metrics per unit, TER lower-is-better)."""
    db = tmp_path_factory.mktemp("leaderboard-mt") / "mt.duckdb"
    xbench.run(model="fake:accuracy=0.6", tasks=["ntrex128_chat_en-x", "ntrex128_chat_x-en"],
               languages=["de", "fr", "sw"], limit=3, data_dir=shared_data, db=db,
               progress=False)  # fmt: skip
    return db


@pytest.fixture()
def mt_env(mt_db, monkeypatch):
    return _point_app_at(mt_db, monkeypatch)
