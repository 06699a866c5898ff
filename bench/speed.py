"""Speed, start-up and memory, measured against peers in the same run.

    pip install -e '.[bench]'
    python bench/speed.py ../shared/datasets/wcxb-dev [--rounds 5] [--pages 300]
        [--throughput-only] [--model MODEL]

- Throughput on one core (OMP_NUM_THREADS=1), model loaded once, over the first
  300 pages by file name, HTML already in memory as text, parsing included. The
  contenders run in alternation, round after round (dechaff, then the bare parse
  right after it, then trafilatura), so machine drift cancels; pages/s is each one's
  median round. Ratios are against trafilatura's default extract() and against a
  bare lxml.html parse of the same pages, each the median of the per-round ratios:
  on a shared machine the speed drifts by 10-20% between rounds, and a ratio of two
  runs made seconds apart drifts much less than a ratio of two medians.
- Start-up: a fresh process importing dechaff and loading the model; the first
  `dechaff clean page.html` from a cold start.
- Peak resident memory of `dechaff clean` on one page, and on a batch of the pages
  once and of the same pages cycled to 10,000 (JSON Lines): same pages, so any
  difference is growth with the batch.
- Cost against page size: synthetic pages of about 10 KB to 10 MB.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, before numpy/sklearn load

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import date  # noqa: E402
from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402

import lxml.html  # noqa: E402

from dechaff.datasets import list_pages, read_page_labels  # noqa: E402
from dechaff.decode import decode_html  # noqa: E402
from dechaff.extractor import Extractor  # noqa: E402

SIZES_KB = (10, 100, 1_000, 10_000)


def _bare_parse(html: str) -> None:
    lxml.html.document_fromstring(html.encode("utf-8"))


def _trafilatura(html: str) -> None:
    import trafilatura
    trafilatura.extract(html)


def _each(run: Callable[[str], object], pages: list[str]) -> None:
    for html in pages:
        run(html)


def throughput(pages: list[str], rounds: int, model: str | None = None
               ) -> tuple[dict[str, float], dict[str, float]]:
    """Pages/s of each contender (median round), and dechaff's speed as a multiple of
    each (median of the per-round ratios)."""
    extractor = Extractor(model)
    one_by_one = {"dechaff": extractor.extract, "lxml parse": _bare_parse,
                  "trafilatura": _trafilatura}
    contenders = {name: partial(_each, run) for name, run in one_by_one.items()}
    for run in contenders.values():  # warm-up: imports, caches
        run(pages[:10])
    seconds: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, run in contenders.items():
            started = time.perf_counter()
            run(pages)
            seconds[name].append(time.perf_counter() - started)
    rates = {name: len(pages) / statistics.median(s) for name, s in seconds.items()}
    multiples = {name: statistics.median(other / ours for other, ours
                                         in zip(s, seconds["dechaff"]))
                 for name, s in seconds.items()}
    return rates, multiples


def _python(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - started


def _peak_rss_mb(command: list[str]) -> float:
    code = (
        "import resource, subprocess\n"
        f"subprocess.run({command!r}, stdout=subprocess.DEVNULL, check=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return float(out.stdout.strip())


def startup_and_memory(sample: Path, pages: list[str], workdir: Path) -> dict[str, float]:
    dechaff = str(Path(sys.executable).with_name("dechaff"))
    results = {
        "import + load model (s)": min(_python(
            "import dechaff.extractor as e; e.default_extractor()") for _ in range(3)),
        "first `dechaff clean` (s)": min(
            _python(f"import subprocess; subprocess.run([{dechaff!r}, 'clean', "
                    f"{str(sample)!r}], stdout=subprocess.DEVNULL, check=True)")
            for _ in range(3)),
        "peak RSS, one page (MB)": _peak_rss_mb([dechaff, "clean", str(sample)]),
    }
    for count in (len(pages), 10_000):
        batch = workdir / f"batch-{count}.jsonl"
        with open(batch, "w") as handle:
            for i in range(count):
                handle.write(json.dumps({"html": pages[i % len(pages)]}) + "\n")
        results[f"peak RSS, batch of {count:,} (MB)"] = _peak_rss_mb(
            [dechaff, "clean", str(batch), "--quiet"])
    return results


def size_curve(warm_up_page: str) -> dict[int, float]:
    extractor = Extractor()
    extractor.extract(warm_up_page)  # one-off costs (model load, tables) are not size
    head, body = "<html><head><title>t</title></head><body>", "</body></html>"
    unit = "<div class='post'><h2>Section</h2><p>" + "Plain sentence of prose. " * 20 + \
        "</p><ul><li><a href='/x'>Link one</a></li><li><a href='/y'>Link two</a></li></ul></div>"
    out = {}
    for kb in SIZES_KB:
        html = head + unit * max(1, kb * 1024 // len(unit)) + body
        started = time.perf_counter()
        extractor.extract(html)
        out[kb] = time.perf_counter() - started
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", help="a WCXB-format directory")
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--throughput-only", action="store_true",
                        help="skip start-up, memory and the size curve")
    parser.add_argument("--model", default=None,
                        help="time this model file instead of the shipped one (throughput)")
    args = parser.parse_args()

    refs = list_pages(args.data)[: args.pages]
    pages = [decode_html(read_page_labels(ref).html) for ref in refs]
    from dechaff import trees

    scorer = "C (dechaff._treescore)" if trees._treescore else "scikit-learn (no C scorer built)"
    print(f"# Speed on the first {len(pages)} pages of {args.data}, {date.today()}, "
          f"one core; trees scored by {scorer}; model: {args.model or 'shipped'}\n")
    rates, multiples = throughput(pages, args.rounds, args.model)
    print("| contender | pages/s | dechaff's speed as a multiple |")
    print("|---|---|---|")
    for name, rate in rates.items():
        print(f"| {name} | {rate:.1f} | {multiples[name]:.2f}× |")
    of_medians = rates["lxml parse"] / rates["dechaff"]
    print(f"\ndechaff costs {1 / multiples['lxml parse']:.2f}× the bare parse (median of "
          f"{args.rounds} per-round ratios; {of_medians:.2f}× from the median rounds).")
    if args.throughput_only:
        return 0
    with tempfile.TemporaryDirectory() as workdir:
        print("\n| start-up and memory | value |\n|---|---|")
        for name, value in startup_and_memory(refs[0].html_path, pages, Path(workdir)).items():
            print(f"| {name} | {value:.2f} |")
    print("\n| page size | seconds | seconds per MB |\n|---|---|---|")
    for kb, seconds in size_curve(pages[0]).items():
        print(f"| {kb:,} KB | {seconds:.3f} | {seconds / (kb / 1024):.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
