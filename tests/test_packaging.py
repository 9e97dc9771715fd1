"""The wheel carries tasks/ and leaderboard/; an external plugin package installs and runs."""

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.helpers import CAPITALS, REPO

pytestmark = pytest.mark.slow


def _sh(*cmd, **kw):
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)
    assert out.returncode == 0, f"{cmd}\n{out.stdout}\n{out.stderr}"
    return out


def test_wheel_in_a_clean_venv_lists_the_builtin_tasks(tmp_path):
    _sh(
        sys.executable,
        "-m",
        "build",
        "--wheel",
        "--no-isolation",
        "--outdir",
        str(tmp_path / "dist"),
        str(REPO),
    )
    [wheel] = (tmp_path / "dist").glob("xbench-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    # Only what `xbench tasks` needs: listing tasks must not need torch, transformers or lm-eval.
    _sh(str(py), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel))
    _sh(
        str(py),
        "-m",
        "pip",
        "install",
        "--quiet",
        "duckdb==2.0.0",
        "numpy==2.4.6",
        "platformdirs==4.14.5",
        "langcodes==3.5.1",  # plugins' language codes are checked when they register
        "language-data==1.4.0",
    )
    out = _sh(str(env_dir / "bin" / "xbench"), "tasks", "--variants", "--json", cwd=tmp_path)
    variants = {row["variant"] for row in json.loads(out.stdout)}
    assert len([v for v in variants if v.startswith("mgsm_")]) == 33
    site = Path(
        _sh(
            str(py), "-c", "import xbench_leaderboard, xbench_tasks.mgsm as m; print(m.__file__)"
        ).stdout.strip()
    )
    assert str(site).startswith(str(env_dir))  # imported from the wheel, not the checkout


def test_external_plugin_package_installs_and_runs_end_to_end(tmp_path):
    target = tmp_path / "site"
    _sh(sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
        "--target", str(target), str(CAPITALS))  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(target)}
    db = tmp_path / "x.duckdb"
    out = _sh(sys.executable, "-m", "xbench", "run", "--model", "fake:accuracy=1", "--tasks",
              "capitals", "--languages", "en,es", "--db", str(db), env=env)  # fmt: skip
    assert "capitals  eng_Latn" in out.stdout and "capitals  spa_Latn" in out.stdout
    listed = _sh(sys.executable, "-m", "xbench", "tasks", "capitals", env=env).stdout
    assert listed.splitlines()[1].split()[:2] == ["capitals", "capitals"]
