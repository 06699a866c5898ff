"""`dechaff inspect`: the report's content, its escaping, and what a browser shows."""

from __future__ import annotations

import html as html_lib
import os
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from dechaff.cli import main, report_path
from dechaff.extractor import Extractor
from dechaff.features import featurize
from dechaff.inspection import colour, inspect_page, render_report
from dechaff.page import read_page

from .conftest import PAGES

NEWS = PAGES / "news-article.html"
# A sentence of the article body, and one of the page's chrome (a podcast promo).
ARTICLE_SENTENCE = "Councillors voted 27 to 4 to release the money from the city's reserve fund"
CHROME_SENTENCE = "Listen to The Vale Tonight and Council Chamber."
HOSTILE = b"""<html><head><title>x</title></head><body>
<p>Click <b>here</b>: &lt;script&gt;alert(1)&lt;/script&gt; and "quotes" ' too.</p>
<p>Second &lt;/div&gt;&lt;img src=x onerror=alert(2)&gt; paragraph with a few words.</p>
</body></html>"""


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


def hue(css: str) -> float:
    return float(re.match(r"hsl\(([\d.]+),", css).group(1))


def test_every_block_has_its_final_probability_and_verdict(extractor):
    html = NEWS.read_bytes()
    inspection = inspect_page(html, extractor, "default")
    expected = extractor.probabilities(read_page(html))
    assert np.allclose([v.probability for v in inspection.blocks], expected)
    assert [v.kept for v in inspection.blocks] == list(expected >= extractor.threshold)
    assert inspection.article().text == extractor.article(html).text


def test_each_pass_and_the_nonzero_features_are_recorded(extractor):
    inspection = inspect_page(NEWS.read_bytes(), extractor)
    view = inspection.blocks[0]
    passes = 2 if extractor.model.second is not None else 1
    assert len(view.passes) == passes
    assert list(view.passes.values())[-1] == view.probability
    first_row = featurize(read_page(NEWS.read_bytes())).X[0]
    names = dict(view.features)
    assert all(value != 0 for value in names.values())
    assert sum(1 for name in names if not name.startswith("ctx.")) == np.count_nonzero(first_row)


def test_colour_runs_red_below_the_threshold_and_green_above(extractor):
    assert hue(colour(0.0, 0.25)) == 0.0
    assert hue(colour(0.24, 0.25)) < 60 < hue(colour(0.25, 0.25))
    assert hue(colour(1.0, 0.25)) == 120.0
    assert hue(colour(0.5, 0.25)) < hue(colour(0.9, 0.25))


def test_report_escapes_page_text(extractor):
    report = render_report(inspect_page(HOSTILE, extractor), "<evil>.html")
    assert "<script" not in report and "<img" not in report and "<evil>" not in report
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report
    assert "default-src 'none'" in report


def test_report_of_an_empty_page_says_zero_blocks(extractor):
    report = render_report(inspect_page(b"", extractor), "empty.html")
    assert "0 blocks, 0 kept" in report


@pytest.mark.parametrize(("page", "out", "expected"), [
    ("pages/news.html.gz", None, "news.inspect.html"),
    ("news.htm", "r.html", "r.html"),
    ("-", None, "-"),
])
def test_report_path(page, out, expected):
    assert report_path(page, out) == expected


def test_cli_writes_the_report_in_the_current_directory(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    status = main(["inspect", str(NEWS)])
    out, err = capsys.readouterr()
    report = tmp_path / "news-article.inspect.html"
    assert status == 0 and err == "" and out.strip() == report.name
    assert html_lib.escape(ARTICLE_SENTENCE) in report.read_text(encoding="utf-8")


def test_cli_prints_to_stdout_with_out_dash(capsys):
    status = main(["inspect", str(NEWS), "--out", "-", "--threshold", "1.01"])
    out, _ = capsys.readouterr()
    assert status == 0 and out.startswith("<!DOCTYPE html>")
    assert re.search(r"\d+ blocks, 0 kept at threshold 1.01, model default", out)


def test_cli_reports_a_binary_page_in_one_line(capsys, tmp_path):
    page = tmp_path / "image.html"
    page.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    status = main(["inspect", str(page), "--out", str(tmp_path / "r.html")])
    _, err = capsys.readouterr()
    assert status == 1 and err.startswith("dechaff: error: not HTML") and err.count("\n") == 1
    assert not (tmp_path / "r.html").exists()


# --- in a browser -------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def _browser():
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("headless Chromium is not installed "
                    "(apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1400,1800"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


def _artifacts(tmp_path: Path) -> Path:
    directory = Path(os.environ.get("DECHAFF_ARTIFACTS") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _rgb(css: str) -> tuple[int, ...]:
    return tuple(int(v) for v in re.findall(r"\d+", css)[:3])


def test_browser_shows_blocks_colours_counts_and_kept_text(extractor, tmp_path):
    html = NEWS.read_bytes()
    report = tmp_path / "news.inspect.html"
    report.write_text(render_report(inspect_page(html, extractor, "default"), str(NEWS)),
                      encoding="utf-8")
    n_blocks = len(read_page(html).blocks)
    n_kept = len(extractor.article(html).blocks)
    browser = _browser()
    try:
        from selenium.webdriver.common.by import By

        browser.get(report.as_uri())
        blocks = browser.find_elements(By.CSS_SELECTOR, ".blocks .block")
        tooltip = blocks[0].get_attribute("title")
        summary = browser.find_element(By.CSS_SELECTOR, ".summary").text
        kept_text = browser.find_element(By.CSS_SELECTOR, ".kept-text").text
        style = "return getComputedStyle(arguments[0]).backgroundColor"
        kept = browser.find_element(By.CSS_SELECTOR, ".block.kept")
        dropped = browser.find_element(By.CSS_SELECTOR, ".block.dropped")
        kept_rgb = _rgb(browser.execute_script(style, kept))
        dropped_rgb = _rgb(browser.execute_script(style, dropped))
        screenshot = _artifacts(tmp_path) / "inspect-news-article.png"
        browser.save_screenshot(str(screenshot))
    finally:
        browser.quit()
    print(f"screenshot: {screenshot}", file=sys.stderr)
    assert len(blocks) == n_blocks
    assert tooltip.startswith("P(first pass) = ") and "\ntext.log_words=" in tooltip
    assert summary.startswith(f"{n_blocks} blocks, {n_kept} kept at threshold "
                              f"{extractor.threshold:g}, model default")
    red, green, _ = kept_rgb
    assert green > red, kept_rgb  # kept: yellow-green to green
    red, green, _ = dropped_rgb
    assert red > green, dropped_rgb  # dropped: red to orange
    assert ARTICLE_SENTENCE in kept_text
    assert CHROME_SENTENCE not in kept_text
    assert screenshot.stat().st_size > 0
