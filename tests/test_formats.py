"""Label formats: each is recognised from its layout, read right, and trainable."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from dechaff.align import marked_labels
from dechaff.cli import main
from dechaff.datasets import detect_format, list_pages, read_page_labels
from dechaff.page import read_page
from dechaff.train import load_pages

SITES = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot")
# Few boosting rounds and folds: these tests check that a format trains, not how well.
FAST = ["--folds", "2", "--max-iter", "5", "--jobs", "1", "--quiet"]


@pytest.fixture(autouse=True)
def one_thread():
    """One OpenMP thread: the boosting is tiny, and the machine may be busy."""
    with threadpool_limits(1):
        yield


def article(site: str) -> str:
    """The clean text of a site's test page: two paragraphs."""
    return (f"The {site} valley council met on Tuesday to discuss the new bridge over "
            f"the river and its cost to the town.\n\n"
            f"Work on the {site} bridge begins in spring and should end before the "
            f"autumn floods, the engineers said.")


def page(site: str, *, marked: bool = False, canonical: bool = True,
         page_type: str | None = None) -> str:
    """A small page of one site: navigation, the article, related links, a footer."""
    first, second = article(site).split("\n\n")
    mark = ' data-dechaff="content"' if marked else ""
    head = f'<link rel="canonical" href="https://www.{site}.example/news/bridge">' \
        if canonical else ""
    if page_type:
        head += f'<meta name="dechaff:page-type" content="{page_type}">'
    return f"""<!DOCTYPE html><html><head><title>Bridge – {site}</title>{head}</head>
<body><nav class="menu"><a href="/">Home</a> <a href="/news">News</a>
<a href="/sport">Sport</a></nav>
<div class="story"{mark}><p>{first}</p>
<aside class="share">Share this story on social media</aside><p>{second}</p></div>
<div class="related"><h3>Related</h3><ul><li><a href="/a">Market day moves</a></li>
<li><a href="/b">School fair a success</a></li></ul></div>
<footer>Copyright {site} news group. All rights reserved.</footer></body></html>"""


def train_ok(capsys, *args: str) -> str:
    status = main(["train", *args, *FAST])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "cross-validation, grouped by domain" in out
    return out


# --- pairs -------------------------------------------------------------------

def make_pairs(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for site in SITES:
        (root / f"{site}.html").write_text(page(site, page_type="article"))
        (root / f"{site}.txt").write_text(article(site))
    return root


def test_pairs_are_detected_and_read(tmp_path):
    data = make_pairs(tmp_path / "pairs")
    refs = list_pages(data)
    assert detect_format(data) == "pairs"
    assert len(refs) == len(SITES) and {r.format for r in refs} == {"pairs"}
    labeled = read_page_labels(refs[0])
    assert labeled.gold_text == article("alpha")
    assert labeled.domain == "alpha.example" and labeled.page_type == "article"


def test_pairs_label_the_article_blocks_content(tmp_path):
    pages = load_pages([make_pairs(tmp_path / "pairs")], n_jobs=1, progress=False)
    content = [b.text for b, y in zip(pages[0].blocks, pages[0].y) if y]
    assert len(content) == 2 and all("bridge" in text for text in content)


def test_gzipped_pair_and_htm_pair(tmp_path):
    (tmp_path / "a.html.gz").write_bytes(gzip.compress(page("alpha").encode()))
    (tmp_path / "a.txt").write_text(article("alpha"))
    (tmp_path / "b.htm").write_text(page("bravo"))
    (tmp_path / "b.txt").write_text(article("bravo"))
    labeled = [read_page_labels(r) for r in list_pages(tmp_path)]
    assert [p.page_id for p in labeled] == ["a", "b"]
    assert b"alpha valley" in labeled[0].html


def test_train_accepts_pairs(capsys, tmp_path):
    train_ok(capsys, str(make_pairs(tmp_path / "pairs")))


# --- pairs and marked pages together ------------------------------------------

def test_a_directory_may_mix_pairs_and_marked_pages(tmp_path):
    make_pairs(tmp_path)
    (tmp_path / "golf.html").write_text(page("golf", marked=True))
    refs = list_pages(tmp_path)
    assert detect_format(tmp_path) == "marked+pairs"
    assert {r.html_path.name: r.format for r in refs}["golf.html"] == "marked"
    assert sum(r.format == "pairs" for r in refs) == len(SITES)


def test_a_page_neither_paired_nor_marked_is_a_clear_error(capsys, tmp_path):
    make_pairs(tmp_path)
    (tmp_path / "stray.html").write_text(page("hotel"))
    with pytest.raises(ValueError, match=r"1 page\(s\) with neither a .txt twin.*stray.html"):
        list_pages(tmp_path)
    assert main(["train", str(tmp_path), *FAST]) == 1
    assert "stray.html" in capsys.readouterr().err


def test_marked_pages_still_read_as_before(tmp_path):
    (tmp_path / "golf.html").write_text(page("golf", marked=True, page_type="article"))
    (ref,) = list_pages(tmp_path)
    labeled = read_page_labels(ref)
    assert detect_format(tmp_path) == "marked" and ref.format == "marked"
    assert labeled.gold_text is None and labeled.domain == "golf.example"
    assert labeled.page_type == "article"


# --- ScrapingHub article-extraction-benchmark -----------------------------------

def make_scrapinghub(root: Path) -> Path:
    (root / "html").mkdir(parents=True)
    truth = {}
    for number, site in enumerate(SITES):
        page_id = f"{number:04x}beef"
        (root / "html" / f"{page_id}.html.gz").write_bytes(
            gzip.compress(page(site, canonical=False).encode()))
        truth[page_id] = {"articleBody": article(site),
                          "url": f"https://www.{site}.example/2019/bridge"}
    (root / "ground-truth.json").write_text(json.dumps(truth, indent=4))
    return root


def test_scrapinghub_is_detected_and_read(tmp_path):
    data = make_scrapinghub(tmp_path / "sh")
    refs = list_pages(data)
    assert detect_format(data) == "scrapinghub" and len(refs) == len(SITES)
    labeled = read_page_labels(refs[1])
    assert labeled.page_id == "0001beef"
    assert labeled.gold_text == article("bravo")
    assert labeled.domain == "bravo.example" and labeled.page_type == "article"
    assert labeled.html.startswith(b"<!DOCTYPE html>")


def test_scrapinghub_pages_without_a_record_are_not_listed(tmp_path):
    data = make_scrapinghub(tmp_path / "sh")
    (data / "html" / "orphan.html.gz").write_bytes(gzip.compress(page("golf").encode()))
    assert len(list_pages(data)) == len(SITES)


def test_train_accepts_scrapinghub(capsys, tmp_path):
    train_ok(capsys, str(make_scrapinghub(tmp_path / "sh")))


# --- per-site selector rules ------------------------------------------------------

RULES = {site: {"content": "div.story", "exclude": [".share"]} for site in SITES[:4]}
RULES.update({"echo.example": ["div.story"], "foxtrot.example": "div.story p"})


def make_selectors(root: Path, rules: dict | None = None) -> Path:
    root.mkdir(parents=True)
    (root / "selectors.json").write_text(json.dumps(
        {f"{k}.example" if "." not in k else k: v for k, v in (rules or RULES).items()}))
    for site in SITES:
        (root / f"{site}.html").write_text(page(site))
    return root


def test_selectors_are_detected_and_mark_the_content(tmp_path):
    data = make_selectors(tmp_path / "rules")
    refs = list_pages(data)
    assert detect_format(data) == "selectors" and len(refs) == len(SITES)
    labeled = read_page_labels(refs[0])
    assert labeled.gold_text is None and labeled.domain == "alpha.example"
    blocks = read_page(labeled.html).blocks
    content = [b.text for b, y in zip(blocks, marked_labels(blocks)) if y]
    assert content == article("alpha").split("\n\n")  # .share excluded, menu not matched


def test_selectors_find_the_site_by_folder_when_the_page_has_no_url(tmp_path):
    data = make_selectors(tmp_path / "rules")
    (data / "golf.example").mkdir()
    (data / "golf.example" / "p1.html").write_text(page("golf", canonical=False))
    rules = json.loads((data / "selectors.json").read_text())
    (data / "selectors.json").write_text(json.dumps(
        {**rules, "golf.example": {"content": ".story", "page_type": "news"}}))
    (ref,) = [r for r in list_pages(data) if r.html_path.name == "p1.html"]
    labeled = read_page_labels(ref)
    assert labeled.domain == "golf.example" and labeled.page_type == "news"


def test_a_rule_covers_subdomains(tmp_path):
    data = make_selectors(tmp_path / "rules")
    (data / "alpha.html").write_text(page("alpha").replace("www.alpha", "news.alpha"))
    labeled = read_page_labels(list_pages(data)[0])
    assert labeled.domain == "news.alpha.example"
    assert b'data-dechaff="content"' in labeled.html


def test_pages_the_selectors_miss_are_skipped_with_a_warning(capsys, tmp_path):
    rules = {**RULES, "alpha": ".no-such-class", "bravo": {"content": ".story",
                                                            "exclude": [".story"]}}
    data = make_selectors(tmp_path / "rules", rules)
    (data / "zulu.html").write_text(page("zulu"))  # a site without a rule
    pages = load_pages([data], n_jobs=1, progress=False)
    err = capsys.readouterr().err
    assert sorted(p.domain for p in pages) == [f"{s}.example" for s in SITES[2:]]
    assert err.count("dechaff: warning: skipped") == 3
    assert "alpha.html: the selectors for alpha.example match no text" in err
    assert "zulu.html: no rule in selectors.json" in err


@pytest.mark.parametrize("rules, message", [
    ("{not json", "cannot read the rules"),
    ('{"a.example": {"content": "div[["}}', "bad CSS selector"),
    ('{"a.example": {"contents": "div"}}', "unknown keys"),
    ('{"a.example": 3}', "expected selectors"),
    ("[]", "expected an object"),
])
def test_a_bad_rules_file_is_a_one_line_error(capsys, tmp_path, rules, message):
    data = make_selectors(tmp_path / "rules")
    (data / "selectors.json").write_text(rules)
    assert main(["train", str(data), *FAST]) == 1
    err = capsys.readouterr().err
    assert err.startswith("dechaff: error:") and message in err and err.count("\n") == 1


def test_train_accepts_selectors(capsys, tmp_path):
    train_ok(capsys, str(make_selectors(tmp_path / "rules")))


# --- WCXB -----------------------------------------------------------------------

def make_wcxb(root: Path) -> Path:
    (root / "html").mkdir(parents=True)
    (root / "ground-truth").mkdir()
    for site in SITES:
        (root / "html" / f"{site}.html.gz").write_bytes(gzip.compress(page(site).encode()))
        (root / "ground-truth" / f"{site}.json").write_text(json.dumps({
            "url": f"https://{site}.example/x",
            "_internal": {"page_type": {"primary": "category"}},
            "ground_truth": {"main_content": article(site), "with": ["bridge"]}}))
    return root


def test_wcxb_is_detected_and_read(tmp_path):
    data = make_wcxb(tmp_path / "wcxb")
    refs = list_pages(data)
    labeled = read_page_labels(refs[0])
    assert detect_format(data) == "wcxb" and len(refs) == len(SITES)
    assert labeled.gold_text == article("alpha") and labeled.with_snippets == ["bridge"]
    assert labeled.page_type == "collection" and labeled.domain == "alpha.example"


def test_all_formats_train_together(capsys, tmp_path):
    dirs = [make_pairs(tmp_path / "pairs"), make_scrapinghub(tmp_path / "sh"),
            make_selectors(tmp_path / "rules"), make_wcxb(tmp_path / "wcxb")]
    out = train_ok(capsys, *map(str, dirs))
    assert f"| {4 * len(SITES)} | all |" in out


def test_empty_directory_names_every_layout(tmp_path):
    with pytest.raises(ValueError, match="no labeled pages found.*ground-truth.json"):
        detect_format(tmp_path)


def test_labels_match_for_pairs_and_marked_versions_of_a_page(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "m").mkdir()
    (tmp_path / "p" / "a.html").write_text(page("alpha"))
    (tmp_path / "p" / "a.txt").write_text(article("alpha"))
    (tmp_path / "m" / "a.html").write_text(page("alpha", marked=True).replace(
        '<aside class="share">', '<aside class="share" data-dechaff="chrome">'))
    pair, marked = (load_pages([tmp_path / d], n_jobs=1, progress=False)[0] for d in "pm")
    assert np.array_equal(pair.y, marked.y) and pair.y.sum() == 2


def test_the_documented_rules_example_is_valid(tmp_path):
    from dechaff.site_rules import load_rules

    readme = (Path(__file__).parent.parent / "labeled_data" / "README.md").read_text()
    example = readme.split("```json\n", 1)[1].split("```", 1)[0]
    (tmp_path / "selectors.json").write_text(example)
    rules = load_rules(tmp_path / "selectors.json")
    assert set(rules) == {"riverton-daily.example", "crafthop.example", "forum.example"}
    assert rules["riverton-daily.example"].page_type == "article"
    assert len(rules["riverton-daily.example"].exclude) == 2


def test_too_few_sites_for_the_folds_is_a_clear_error(capsys, tmp_path):
    data = make_pairs(tmp_path / "pairs")
    for site in SITES[2:]:
        (data / f"{site}.html").unlink()
    assert main(["train", str(data), *FAST]) == 1
    err = capsys.readouterr().err
    assert err.startswith("dechaff: error:") and "label more sites" in err
    assert err.count("\n") == 1
