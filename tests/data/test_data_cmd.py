"""``prs-bench data check``: counts, classes, cache state, subset hashes and index files."""

from __future__ import annotations

import re

from bench.cli import main
from bench.data.subsets import index_hash, read_index_file


def test_check_reports_counts_cache_and_writes_subsets(pickle_root, tmp_path, capsys):
    argv = [
        "data",
        "check",
        "cifar100-python",
        "--root",
        str(pickle_root),
        "--set",
        "verify_sizes=false",
        "--fraction",
        "0.5",
        "--write-subsets",
        "--subsets-dir",
        str(tmp_path / "subsets"),
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert re.search(r"train\s*\|\s*60 \| 10/100 \(6-6 per class\)", out)
    assert re.search(r"test\s*\|\s*20 \| 10/100 \(2-2 per class\)", out)
    assert "cache: built" in out
    f = tmp_path / "subsets" / "cifar100-python-fine-f0.5-seed0.txt"
    digest = index_hash(read_index_file(f))
    assert f"# sha256: {digest}" in f.read_text()
    assert f'subset_seed = 0, subset_sha256 = {{ "0.5" = "{digest}" }}' in out
    assert main(argv[:5] + ["--set", "verify_sizes=false"]) == 0
    assert "cache: hit" in capsys.readouterr().out


def test_check_bad_input_exits_2_with_one_line(tmp_path, capsys):
    assert main(["data", "check", "cifar100-python", "--root", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("prs-bench: error: cifar100-python: no CIFAR-100 python folder")
    assert main(["data", "check", "synthetic", "--fraction", "2"]) == 2
    assert "outside (0, 1]" in capsys.readouterr().err
