"""Which process is doing something, and whether it still lives (POSIX; /proc where there is one).

A run records its owner (host:pid:start time) so that the same run started twice is refused
while the first process lives; a model conversion names its pid in its temporary folder so
that a later one can clean up after a killed one without deleting a live one's work.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path


def alive(pid: int) -> bool:
    """Whether a process with this pid exists (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, another user's
    return _start_time(pid) != "zombie"


def _start_time(pid: int) -> str:
    """The start time of a process (Linux: /proc/<pid>/stat field 22), so a recycled pid is not
    mistaken for an earlier process; "zombie" for a zombie; "" where it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return ""
    return "zombie" if fields[0] == "Z" else fields[19]


def owner() -> str:
    """host:pid:start of this process."""
    return f"{platform.node()}:{os.getpid()}:{_start_time(os.getpid())}"


def owner_alive(owner: str) -> bool:
    """Whether the process that wrote `owner` still runs. A process on another host cannot be
    checked: it counts as gone, so a run killed there can be resumed here."""
    host, _, rest = owner.partition(":")
    pid_text, _, start = rest.partition(":")
    if host != platform.node() or not pid_text.isdigit():
        return False
    return alive(int(pid_text)) and _start_time(int(pid_text)) == start
