"""Error types the CLI maps to exit codes: bad input is one line and exit 2, a failed check exit 1.

``os_error_line`` turns any OSError (full disk, read-only folder, a file where a folder should be)
into the one line the CLI prints, naming the path and what to do.
"""

from __future__ import annotations

import errno


def one_line(msg: str) -> str:
    """Our message, on one line. A DataLoader worker re-raises an error with the worker's whole
    traceback in the message ("Caught BenchError in DataLoader worker process 0. Original
    Traceback ..."): keep its last line, which is the original message."""
    if "Original Traceback" in msg:
        last = [ln for ln in msg.splitlines() if ln.strip()][-1]
        _, sep, rest = last.partition("Error: ")
        msg = rest if sep else last
    return " ".join(msg.split()) if "\n" in msg else msg


class BenchError(Exception):
    """Bad input (file, value, dataset, name). The message is shown as one line; exit code 2."""

    exit_code = 2

    def __init__(self, msg: object = "") -> None:
        super().__init__(one_line(str(msg)))


class CheckFailed(Exception):
    """A verdict failed; exit code 1."""

    exit_code = 1


_FULL = (
    "the disk is full: free space or choose another --out, then rerun (finished records are intact; --resume continues)"
)
_DENIED = "permission denied: fix the permissions or choose another path (e.g. --out)"
ADVICE = {
    errno.ENOSPC: _FULL,
    errno.EDQUOT: _FULL,
    errno.EACCES: _DENIED,
    errno.EPERM: _DENIED,
    errno.EROFS: "read-only file system: choose a writable path (e.g. --out)",
    errno.ENOTDIR: "part of this path is a file, not a folder: choose another path",
    errno.EISDIR: "this is a folder, not a file: give a file path",
    errno.EEXIST: "something already exists there: choose another path",
    errno.ENOENT: "not found: check the path",
    errno.ENAMETOOLONG: "the name is too long: choose a shorter path",
    errno.ELOOP: "too many symbolic links: check the path",
    errno.EMFILE: "too many open files: raise the limit (ulimit -n) or use fewer --workers",
    errno.ENFILE: "too many open files on this machine: close some or use fewer --workers",
    errno.EIO: "input/output error: the disk or network share failed; check it and rerun",
}


def os_error_line(exc: OSError) -> str:
    """One line naming the path(s), the system's reason and what to do."""
    what = exc.strerror or one_line(str(exc)) or type(exc).__name__
    where = "" if exc.filename is None else str(exc.filename)
    if exc.filename2 is not None:
        where += f" -> {exc.filename2}"
    advice = ADVICE.get(exc.errno or 0, "check the path and rerun")
    return f"{where}: {what}; {advice}" if where else f"{what}; {advice}"
