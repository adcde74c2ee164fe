"""``prs-bench report RESULTS --html PATH``: one self-contained page, checked as text and in headless Chromium.

The browser test drives Debian's ``chromium`` through ``chromedriver`` (selenium, no network):
the page loads with no console errors, every plot image decodes (naturalWidth > 0), and a
screenshot is kept (``$PRS_BENCH_TEST_ARTEFACTS`` if set, else the test's tmp folder). A page
with a broken image and a script error is loaded too, to show the harness catches both.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from bench.cli import main
from bench.records import RecordStore
from tests.fakes import check_toml as ck
from tests.fakes import fake_records, toy_suite

FR = (0.1, 1.0)
CHECKS = (
    ck("order", a="vit", b="resnet", fraction=1.0, claim="C1")
    + ck("crossover", a="vit", b="resnet", claim="C1")
    + ck("band", arm="resnet", reference="toy-single", fraction=1.0, tolerance=1.0)
)
VALS = {
    ("resnet", 0.1): [50.0, 50.5, 51.0],
    ("resnet", 1.0): [70.0, 70.5, 71.0],
    ("vit", 0.1): [40.0, 40.5, 41.0],
    ("vit", 1.0): [75.0, 75.5, 76.0],
}
BLOCKS = [
    {
        "freq": [0.0, 0.25, 0.5],
        "delta": [0.0, -0.5 * d, -1.0 * d],
        "depth": d,
        "attention": d > 0.4,
        "kind": "attention" if d > 0.4 else "conv",
        "hf_freq": 0.5,
        "hf_delta": -1.0 * d,
    }
    for d in (0.0, 0.5, 1.0)
]
FOURIER = {"fourier": {"images": 8, "blocks": BLOCKS}}


class Page(HTMLParser):
    """Collects every URL-bearing attribute and every <img>."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.imgs: list[dict[str, Any]] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.urls += [v for k, v in a.items() if k in ("src", "href") and v is not None]
        if tag == "img":
            self.imgs.append(a)
        self.scripts += tag == "script"


@pytest.fixture
def report(tmp_path: Path, baselines: Any) -> tuple[Path, str]:
    suite = toy_suite(tmp_path / "suites", CHECKS, fractions=FR)
    store = RecordStore(tmp_path / "results")
    analysis = {k: [FOURIER] * 3 for k in VALS}
    for r in fake_records(suite, "quick", VALS, analysis=analysis):
        store.write(r.relpath, r)
    page = tmp_path / "out" / "report.html"
    assert (
        main(
            [
                "report",
                str(store.root),
                "--html",
                str(page),
                "--suites-dir",
                str(tmp_path / "suites"),
                "--suite",
                "toy",
                "--tier",
                "quick",
            ]
        )
        == 0
    )
    return page, page.read_text(encoding="utf-8")


def test_page_is_self_contained_and_complete(report: tuple[Path, str]) -> None:
    _, text = report
    parsed = Page()
    parsed.feed(text)
    assert all(u.startswith(("data:", "#")) for u in parsed.urls), [u[:60] for u in parsed.urls]
    plots = [i for i in parsed.imgs if i.get("class") == "plot"]
    assert len(plots) >= 5 and all(i["src"].startswith("data:image/png;base64,") for i in plots)
    assert {i["alt"] for i in plots} >= {"accuracy-vs-fraction", "curves-synthetic-f1", "fourier-depth-synthetic-f1"}
    for needle in (
        "Claims",
        "C1",
        "toy v1 &middot; tier quick",
        "70.50 ± 0.50",
        "crossover: vit overtakes resnet",
        "<code>band</code> = [69.00, 71.00]",
        "<code>measured</code> = 70.5",
        "Provenance",
        "cpu (x86_64) (12)",
        "Suite versions",
        "v1: test",
    ):
        assert needle in text, needle


def test_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["report", str(tmp_path / "nothing"), "--html", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert "no run records" in err and len(err.strip().splitlines()) == 1


CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not (CHROMIUM and DRIVER):
        pytest.skip("Chromium is not installed (apt-get install chromium chromium-driver; .ci/run does)")
    os.environ.setdefault("SE_OFFLINE", "true")  # selenium must not look for drivers on the network
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,2400",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=opts, service=Service(executable_path=DRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def _load(driver: Any, page: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Open the page; (console errors, [{alt, complete, width}] for every <img>)."""
    driver.get_log("browser")  # drain what earlier pages left
    driver.get(page.resolve().as_uri())
    driver.execute_script("return document.readyState")
    imgs = driver.execute_script(
        "return Array.from(document.images).map(i => ({alt: i.alt, complete: i.complete, width: i.naturalWidth}))"
    )
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    return errors, imgs


@pytest.mark.slow
def test_page_renders_in_headless_chromium(report: tuple[Path, str], browser: Any, tmp_path: Path) -> None:
    page, _ = report
    errors, imgs = _load(browser, page)
    assert errors == []
    assert len(imgs) >= 5 and all(i["complete"] and i["width"] > 0 for i in imgs), imgs
    assert browser.title == "prs-bench report"
    assert "C1" in browser.find_element("id", "claims").find_element("xpath", "following-sibling::table").text
    out = Path(os.environ.get("PRS_BENCH_TEST_ARTEFACTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    shot = out / "report-screenshot.png"
    height = browser.execute_script("return document.body.scrollHeight")
    browser.set_window_size(1280, min(int(height) + 40, 16000))
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:4] == b"\x89PNG" and shot.stat().st_size > 10_000


@pytest.mark.slow
def test_the_harness_sees_a_broken_image_and_a_script_error(browser: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!doctype html><html><head><link rel="icon" href="data:,"><title>x</title></head><body>'
        '<img class="plot" alt="broken" src="data:image/png;base64,AAAA">'
        "<script>undefinedFunction()</script></body></html>"
    )
    errors, imgs = _load(browser, bad)
    assert imgs == [{"alt": "broken", "complete": True, "width": 0}]
    assert any("undefinedFunction" in e["message"] for e in errors), errors
