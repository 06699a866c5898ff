"""Bit-for-bit equivalence of the pipeline against a saved reference.

    python bench/equivalence.py --save ref.pkl [DIR ...]   # from the code to keep
    python bench/equivalence.py --check ref.pkl [DIR ...]  # after a change

For every page (default: the WCXB development pages and labeled_data/pages) it
records the blocks (every Block field), the frames (tags, parents, attrs), the
feature matrix, every model pass's matrix and probabilities (as raw bytes) and the
extracted text and markdown; ``--check`` recomputes them and lists each page and
field that differs. Speed work must leave this at zero differences: the shipped
model was trained on exactly these features.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, before numpy/sklearn load

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import pickle  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

from dechaff.decode import decode_html  # noqa: E402
from dechaff.extractor import Extractor  # noqa: E402
from dechaff.features import featurize  # noqa: E402
from dechaff.model_io import load_model  # noqa: E402
from dechaff.page import read_page  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIRS = (ROOT.parent / "shared" / "datasets" / "wcxb-dev" / "html",
                ROOT / "labeled_data" / "pages")
FORMATS = ("text", "markdown")
BATCH = 16  # pages read together (and scored together with --batched)


def digest(html: str, model, extractor: Extractor) -> dict[str, object]:
    """Everything the pipeline computes for one page, as comparable values."""
    page = read_page(html)
    features = featurize(page)
    out: dict[str, object] = {
        "blocks": [dataclasses.astuple(b) for b in page.blocks],
        "frames": (page.frames.tags, page.frames.parents, page.frames.attrs),
        "page": (page.title, page.url, page.lang, sorted(page.types), page.truncated),
        "X": (features.X.shape, features.X.dtype.str, features.X.tobytes()),
        "layout": tuple(a.tobytes() for a in (features.words, features.containers,
                                              features.owners, features.parents)),
    }
    for i, (matrix, p) in enumerate(model.passes(features)):
        out[f"pass{i}.X"] = (matrix.shape, matrix.dtype.str, matrix.tobytes())
        out[f"pass{i}.p"] = (p.shape, p.dtype.str, p.tobytes())
    for fmt in FORMATS:
        out[f"out.{fmt}"] = extractor.extract(html, fmt)
    return out


def _pages(dirs: list[Path]) -> list[Path]:
    return [path for d in dirs for path in sorted(d.glob("*.html*"))]


def compute(dirs: list[Path], limit: int | None = None,
            batched: bool = False) -> Iterator[tuple[str, dict[str, object]]]:
    """(page path, digest) for every page, in order; with ``batched``, each digest also
    holds what the batched API gives (``batched.*``: to equal the one-page fields)."""
    model, extractor = load_model(None), Extractor()
    paths = _pages(dirs)[:limit]
    for start in range(0, len(paths), BATCH):
        chunk = paths[start:start + BATCH]
        htmls = [decode_html(path.read_bytes()) for path in chunk]
        digests = []
        for html in htmls:
            try:
                digests.append(digest(html, model, extractor))
            except Exception as error:  # an error is a result too, and must stay the same
                digests.append({"error": repr(error)})
        if batched:
            _add_batched(htmls, digests, model, extractor)
        yield from zip(map(str, chunk), digests)


def _add_batched(htmls: list[str], digests: list[dict], model, extractor: Extractor) -> None:
    readable = [i for i, d in enumerate(digests) if "error" not in d]
    features = [featurize(read_page(htmls[i])) for i in readable]
    for i, p in zip(readable, model.probabilities_many(features)):
        digests[i]["batched.p"] = (p.shape, p.dtype.str, p.tobytes())
    for fmt in FORMATS:
        for d, out in zip(digests, extractor.extract_many(htmls, fmt)):
            d[f"batched.out.{fmt}"] = out if isinstance(out, str) else repr(out)


def _expected(ref: dict, key: str) -> object:
    """The reference value a field should equal (batched fields: the one-page ones)."""
    if key == "batched.p":
        return ref[max(k for k in ref if k.endswith(".p"))]
    if key.startswith("batched.out."):
        return ref.get(key.removeprefix("batched."), ref.get("error"))
    return ref.get(key)


def compare(page: str, ref: dict | None, cur: dict) -> list[str]:
    """One line per field of ``page`` that differs from the reference."""
    if ref is None:
        return [f"{page}: not in the reference"]
    return [f"{page}: {key} differs" for key in sorted(ref.keys() | cur.keys())
            if _expected(ref, key) != cur.get(key)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dirs", nargs="*", type=Path, help="directories of *.html pages")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--save", type=Path, help="write the reference digests here")
    mode.add_argument("--check", type=Path, help="compare against this reference")
    parser.add_argument("--batched", action="store_true",
                        help="also check that the batched API gives the same results")
    parser.add_argument("--limit", type=int, help="check only the first N pages (a quick look)")
    args = parser.parse_args()
    dirs = args.dirs or list(DEFAULT_DIRS)

    started = time.perf_counter()
    if args.save:
        current = dict(compute(dirs))
        with open(args.save, "wb") as handle:
            pickle.dump(current, handle, protocol=pickle.HIGHEST_PROTOCOL)
        print(f"saved {len(current)} pages to {args.save} "
              f"in {time.perf_counter() - started:.1f}s")
        return 0
    with open(args.check, "rb") as handle:  # a reference this script wrote
        reference = pickle.load(handle)
    problems, seen = [], set()
    for page, cur in compute(dirs, args.limit, args.batched):
        seen.add(page)
        lines = compare(page, reference.get(page), cur)
        problems += lines
        for line in lines:
            print(line, flush=True)
    wanted = {str(path) for path in _pages(dirs)[: args.limit]}
    missing = [page for page in reference if page in wanted and page not in seen]
    problems += [f"{page}: not computed" for page in missing]
    print(f"checked {len(seen)} pages in {time.perf_counter() - started:.1f}s "
          f"against {len(reference)} reference pages: {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
