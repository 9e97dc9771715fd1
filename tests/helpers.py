"""Shared test helpers (plain functions, imported by tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CAPITALS = REPO / "tests" / "plugins" / "xbench-capitals"


def xbench_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run `python -m xbench ...` in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "xbench", *args],
        capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
