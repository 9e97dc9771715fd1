import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public data snapshots (../shared/data); never copied into the repo."""
    path = Path(os.environ.get("XBENCH_TEST_DATA_DIR", REPO.parent / "shared" / "data"))
    if not (path / "mgsm").is_dir():
        pytest.skip(f"real test data not found at {path}; set XBENCH_TEST_DATA_DIR")
    return path
