"""Bad input and environment faults: one line on stderr naming the path or value, exit 2, no traceback."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from bench.cli import main


def _one_line(capsys: pytest.CaptureFixture, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("prs-bench: error: ") and "Traceback" not in err, err
    return err


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["run", "data-scale", "--device", "meta"], "--device 'meta': prs-bench trains on cpu, cuda, cuda:N or auto"),
        (["run", "data-scale", "--device", "mps"], "--device 'mps'"),
        (["run", "data-scale", "--workers", "-2"], "--workers -2: must be >= 0"),
        (["perf", "resnet_tiny", "--threads", "-3"], "--threads -3: must be >= 1"),
        (["data", "check", "synthetic", "--subset-seed", "-1", "--fraction", "0.5"], "--subset-seed -1"),
    ],
)
def test_bad_values(capsys: pytest.CaptureFixture, tmp_path: Path, argv: list[str], needle: str) -> None:
    assert needle in _one_line(capsys, argv + (["--out", str(tmp_path / "o")] if argv[0] == "run" else []))


def test_out_pointing_at_a_file(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    f = tmp_path / "afile"
    f.write_text("x")
    err = _one_line(capsys, ["run", "data-scale", "--seeds", "1", "--device", "cpu", "--out", str(f / "r")])
    assert f"{f}/r/runs/" in err and "Not a directory; part of this path is a file, not a folder" in err


def test_suite_file_faults(capsys: pytest.CaptureFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = tmp_path / "s"
    d.mkdir()
    (d / "x.toml").mkdir()
    (d / "deep.toml").write_text("a = " + "[" * 100_000)
    assert "deep.toml: not valid TOML: nested too deeply" in _one_line(
        capsys, ["run", "deep", "--suites-dir", str(d), "--dry-run"]
    )
    assert "unknown suite 'x'" in _one_line(capsys, ["run", "x", "--suites-dir", str(d), "--dry-run"])
    (d / "deep.toml").unlink()
    (d / "u.toml").write_text('name = "u"\n')
    real = Path.read_text

    def deny(self: Path, *a, **k):  # as root, chmod cannot make a file unreadable: simulate EACCES
        if self.name == "u.toml":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self, *a, **k)

    monkeypatch.setattr(Path, "read_text", deny)
    assert "u.toml: cannot read the suite file (Permission denied); check its permissions" in _one_line(
        capsys, ["run", "u", "--suites-dir", str(d), "--dry-run"]
    )


@pytest.mark.parametrize(
    "code, advice",
    [(errno.ENOSPC, "the disk is full"), (errno.EROFS, "read-only file system"), (errno.EACCES, "permission denied")],
)
def test_any_os_error_is_one_line(
    capsys: pytest.CaptureFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, advice: str
) -> None:
    import bench.cli.validate_cmd as cmd

    def fail(paths):
        raise OSError(code, "simulated", str(tmp_path / "results"))

    monkeypatch.setattr(cmd, "scan", fail)
    err = _one_line(capsys, ["validate", str(tmp_path)])
    assert f"{tmp_path / 'results'}: simulated; {advice}" in err
