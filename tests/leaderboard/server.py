"""Start `xbench leaderboard` as a real subprocess on a free loopback port, and always stop it.

    with serve(db) as server:
        html = server.get("/_stcore/health")

The server runs in its own process group (start_new_session), so teardown ends `xbench` and
the Streamlit process it starts together, whatever state they are in.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import REPO

START_TIMEOUT_S = 90  # Streamlit imports pandas, pyarrow, altair: seconds on a 2-core machine
STOP_TIMEOUT_S = 10


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, timeout: float = 10) -> tuple[int, str]:
    """(status, body); a refused or failed connection raises OSError."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str = "/", timeout: float = 10) -> tuple[int, str]:
        return http_get(self.url + path, timeout)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def healthy(self) -> bool:
        try:
            return self.get("/_stcore/health", timeout=2) == (200, "ok")
        except OSError:
            return False

    def wait_healthy(self, timeout: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"xbench leaderboard exited with {self.process.returncode}:\n{self.output()}"
                )
            if self.healthy():
                return
            time.sleep(0.25)
        raise TimeoutError(f"xbench leaderboard not healthy after {timeout} s:\n{self.output()}")

    def stop(self) -> None:
        """SIGTERM the whole process group, then SIGKILL what is left."""
        if self.process.poll() is None:
            _signal_group(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                pass
        _signal_group(self.process.pid, signal.SIGKILL)  # Streamlit, should it outlive xbench
        try:
            self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pass


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


@contextmanager
def serve(db: Path, log: Path | None = None, env: dict[str, str] | None = None) -> Iterator[Server]:
    """`xbench leaderboard --db DB --port <free>`, healthy on entry, stopped on exit."""
    log = log or db.with_name(f"leaderboard-{os.getpid()}-{time.monotonic_ns()}.log")
    for attempt in range(3):  # a free port can be taken between probing and binding
        port = free_port()
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "xbench", "leaderboard", "--db", str(db), "--port", str(port)],
                cwd=REPO, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
                start_new_session=True,
            )  # fmt: skip
        server = Server(process, port, log)
        try:
            server.wait_healthy()
        except RuntimeError:
            server.stop()
            if attempt == 2 or "already in use" not in server.output():
                raise
            continue
        except BaseException:
            server.stop()
            raise
        try:
            yield server
        finally:
            server.stop()
        return


# --- the browser: Debian's chromium driven by Playwright (no browser download) ---------------

PAGES = {
    "overview": "Overview", "languages": "Languages", "parity": "Parity", "transfer": "Transfer",
    "fidelity": "Fidelity", "compare": "Compare", "samples": "Samples", "runs": "Runs",
}  # url path -> the page's st.title  # fmt: skip
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
RENDER_TIMEOUT_MS = 60_000
APP_IDLE = (
    '[data-testid="stApp"][data-test-connection-state="CONNECTED"]'
    '[data-test-script-state="notRunning"]'
)


def require_browser() -> None:
    """Skip where chromium or Playwright is missing; fail in CI, where scripts/test.sh installs both."""
    import pytest

    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("playwright (pip install -e '.[test]')")
    if missing:
        message = f"browser test needs {', '.join(missing)}; scripts/test.sh installs both"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def chromium() -> Iterator:
    """A headless chromium with a fresh temporary profile, closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def load(page, url: str, heading: str, timeout_ms: int = RENDER_TIMEOUT_MS) -> None:
    """Open `url`, wait until Streamlit has finished the script run and `heading` (an h1) shows,
    and fail on an exception box or a traceback in an alert."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(url, wait_until="domcontentloaded", timeout=timeout_ms)
    try:
        page.get_by_role("heading", name=heading, level=1).first.wait_for(timeout=timeout_ms)
        page.wait_for_selector(APP_IDLE, timeout=timeout_ms)
    except PlaywrightTimeout as exc:
        check_no_error(page, url)
        shown = page.locator("body").inner_text()
        raise AssertionError(
            f"{url}: no heading {heading!r} after {timeout_ms} ms:\n{shown}"
        ) from exc
    check_no_error(page, url)


def check_no_error(page, url: str) -> None:
    dialogs = page.get_by_role("dialog")  # e.g. Streamlit's "Page not found" for a bad URL path
    if dialogs.count() and dialogs.first.is_visible():
        raise AssertionError(f"dialog on {url}:\n{dialogs.first.inner_text()}")
    exceptions = page.locator('[data-testid="stException"]')
    if exceptions.count():
        raise AssertionError(f"exception box on {url}:\n{exceptions.first.inner_text()}")
    tracebacks = page.locator('[data-testid="stAlert"]', has_text="Traceback")
    if tracebacks.count():
        raise AssertionError(f"traceback in an alert on {url}:\n{tracebacks.first.inner_text()}")


# The element each page exists to show; the browser test waits for it to be drawn.
KEY_ELEMENTS = {
    "overview": '[data-testid="stDataFrame"]', "languages": '[data-testid="stVegaLiteChart"]',
    "parity": '[data-testid="stVegaLiteChart"]', "transfer": '[data-testid="stVegaLiteChart"]',
    "fidelity": '[data-testid="stVegaLiteChart"]', "compare": '[data-testid="stVegaLiteChart"]',
    "samples": '[data-testid="stExpander"]', "runs": '[data-testid="stDataFrame"]',
}  # fmt: skip


def wait_until_drawn(page, key_selector: str, timeout_ms: int = 15_000) -> None:
    """After the script run: the key element is visible, no element is stale (a rerun in
    flight), every chart has its canvas/svg and every table its grid canvas."""
    page.locator(key_selector).first.wait_for(state="visible", timeout=timeout_ms)
    page.wait_for_function(
        """() => !document.querySelector('[data-stale="true"]')
              && [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                   .every(c => c.querySelector('canvas, svg'))
              && [...document.querySelectorAll('[data-testid="stDataFrame"]')]
                   .every(t => t.querySelector('canvas'))""",
        timeout=timeout_ms,
    )


def wait_for_charts(page, timeout_ms: int = 15_000) -> None:
    """Vega-Lite charts draw after the script run ends: wait until each has its canvas or svg."""
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                 .every(c => c.querySelector('canvas, svg'))""",
        timeout=timeout_ms,
    )


def full_screenshot(page, path: Path, max_height: int = 12_000) -> None:
    """Streamlit scrolls inside its own container, so `full_page` alone stops at the viewport:
    grow the viewport to the content's height first."""
    height = page.evaluate(
        """() => Math.max(...[...document.querySelectorAll(
                   '[data-testid="stMain"], [data-testid="stAppViewContainer"], body')]
                 .map(e => e.scrollHeight))"""
    )
    size = page.viewport_size or {"width": 1400, "height": 900}
    page.set_viewport_size({"width": size["width"], "height": min(max(height, 600), max_height)})
    wait_for_charts(page)
    page.screenshot(path=path, full_page=True)
    page.set_viewport_size(size)
