"""One lock per run, so two processes never train or write the same run at once.

A lock is ``flock`` on a small file beside the record (``seed0.lock`` beside ``seed0.json``). The
kernel drops it when its process dies, so a crashed run never leaves a stale lock: the next
process simply takes it. The file also says who holds it (pid, host, start time), which is what
the one-line message shows when another live process has the run.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from ..errors import BenchError


class RunHeld(BenchError):
    """Another live process holds this run's lock."""


def holder_info(path: Path) -> dict[str, Any]:
    """What a lock file says of its last holder (pid, host, since); {} when unreadable."""
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def _holder(path: Path) -> str:
    info = holder_info(path)
    if not all(k in info for k in ("pid", "host", "since")):
        return "another process"
    return f"pid {info['pid']} on host {info['host']} (since {info['since']})"


class RunLock:
    """An exclusive, non-reentrant lock on one file; ``acquire(wait=s)`` polls up to ``s`` seconds."""

    def __init__(self, path: Path, what: str) -> None:
        self.path, self.what = Path(path), what
        self.fd: int | None = None

    @property
    def held(self) -> bool:
        return self.fd is not None

    def acquire(self, wait: float = 0.0) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise RunHeld(
                        f"{self.what} is held by {_holder(self.path)}: another prs-bench process is "
                        f"running or writing it; wait for it to finish or use another --out"
                    ) from None
                time.sleep(0.05)
            except OSError:
                os.close(fd)
                raise
        self.fd = fd
        info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(info).encode(), 0)
        except OSError:
            pass  # the note is for messages only (a full disk must not stop the lock)

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            os.close(self.fd)
            self.fd = None
