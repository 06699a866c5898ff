"""Throughput of this checkout against another version of dechaff, in one process.

    git worktree add /tmp/dechaff-base <commit>
    python bench/against.py /tmp/dechaff-base/src ../shared/datasets/wcxb-dev [--rounds 6]

Both versions are imported side by side (the other one under the name
``dechaff_base``), load their own shipped model, and clean the same pages (the
first 300 by file name, HTML in memory, one core) in alternation, round after
round. On a shared machine the absolute times drift by 10-20% within minutes; the
ratio of two runs made a second apart does not, so the figure reported is the
median of the per-round ratios. Both versions' outputs are checked equal first.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, before numpy/sklearn load

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from dechaff.datasets import list_pages, read_page_labels  # noqa: E402
from dechaff.decode import decode_html  # noqa: E402
from dechaff.extractor import Extractor  # noqa: E402

BASE_NAME = "dechaff_base"


def _import_base(src: Path):
    """The ``dechaff`` package under ``src``, imported as BASE_NAME."""
    package = src / "dechaff"
    spec = importlib.util.spec_from_file_location(
        BASE_NAME, package / "__init__.py", submodule_search_locations=[str(package)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[BASE_NAME] = module
    spec.loader.exec_module(module)
    return module


def _seconds_per_page(extractor, pages: list[str]) -> float:
    started = time.perf_counter()
    for html in pages:
        extractor.extract(html)
    return (time.perf_counter() - started) / len(pages)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base_src", type=Path, help="the other version's src directory")
    parser.add_argument("data", help="a WCXB-format directory")
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()

    pages = [decode_html(read_page_labels(ref).html)
             for ref in list_pages(args.data)[: args.pages]]
    extractors = {"base": _import_base(args.base_src).Extractor(), "this": Extractor()}
    outputs = {name: [e.extract(html) for html in pages] for name, e in extractors.items()}
    if outputs["base"] != outputs["this"]:
        print("note: the two versions' outputs differ on some pages")
    times: dict[str, list[float]] = {name: [] for name in extractors}
    for _ in range(args.rounds):
        for name, extractor in extractors.items():
            times[name].append(_seconds_per_page(extractor, pages))
    for name, seconds in times.items():
        print(f"{name}: median {1000 * statistics.median(seconds):.2f} ms a page "
              f"({', '.join(f'{1000 * s:.2f}' for s in seconds)})")
    ratio = statistics.median(b / t for b, t in zip(times["base"], times["this"]))
    print(f"this checkout is {ratio:.2f}x the base's speed (median of per-round ratios)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
