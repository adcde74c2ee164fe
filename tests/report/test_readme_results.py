"""The README's cpu-results section: rendered from records between its markers, refused without them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.errors import BenchError
from bench.records import RecordStore
from bench.report.readme import END, START, main, replace_section

from ..fakes import fake_records, toy_suite

CHECKS = """
[[tiers.cpu.checks]]
kind = "order"
claim = "C1"
a = "resnet"
b = "vit"
"""


def _results(tmp_path: Path) -> Path:
    suite = toy_suite(tmp_path / "suites", CHECKS, tier="cpu")
    store = RecordStore(tmp_path / "results")
    for r in fake_records(suite, "cpu", {("resnet", 1.0): [80.0, 81.0, 79.5], ("vit", 1.0): [70.0, 71.0, 69.0]}):
        store.write(r.relpath, r)
    return tmp_path / "results"


def test_the_section_is_the_claims_table_of_the_records(tmp_path: Path) -> None:
    results = _results(tmp_path)
    readme = tmp_path / "README.md"
    readme.write_text(f"# t\n\n## Results\n{START}\nold text\n{END}\n\nafter\n", encoding="utf-8")
    argv = [str(results), "--readme", str(readme), "--suites-dir", str(tmp_path / "suites")]
    assert main(argv) == 0
    text = readme.read_text(encoding="utf-8")
    assert "old text" not in text and text.startswith("# t\n") and text.endswith("\nafter\n")
    section = text[text.index(START) : text.index(END)]
    assert "6 runs" in section and "cpu (x86_64)" in section and "commit unknown" in section  # the fakes' provenance
    assert "| C1 " in section and "| toy " in section and "pass" in section  # 80 vs 70 on 3 seeds: the order passes
    assert main(argv) == 0 and readme.read_text(encoding="utf-8") == text  # rerendering changes nothing


def test_a_readme_without_markers_is_refused_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = _results(tmp_path)
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n", encoding="utf-8")
    assert main([str(results), "--readme", str(readme), "--suites-dir", str(tmp_path / "suites")]) == 2
    err = capsys.readouterr().err
    assert "needs exactly one" in err and err.count("\n") == 1
    assert readme.read_text(encoding="utf-8") == "# no markers\n"
    with pytest.raises(BenchError):
        replace_section(f"{END}\n{START}\n", "x")


def test_the_shipped_readme_has_the_section() -> None:
    text = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert replace_section(text, "NEW") != text
