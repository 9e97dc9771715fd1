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


UPDATE_GOLDEN = os.environ.get("XBENCH_UPDATE_GOLDEN") == "1"


def assert_golden(path: Path, prompt: str) -> None:
    """The rendered prompt equals its golden file byte for byte (the file adds one final
    newline, as editors keep it). `XBENCH_UPDATE_GOLDEN=1` rewrites the file instead: review
    the diff before committing."""
    expected = prompt + "\n"
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(expected.encode("utf-8"))
    assert path.read_bytes().decode("utf-8") == expected
