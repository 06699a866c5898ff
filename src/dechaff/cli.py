"""The `dechaff` command: clean pages, train a model, evaluate one."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__
from .article import FORMATS, render
from .batch import DEFAULT_TIMEOUT
from .blocks import MAX_BLOCKS
from .decode import PageTooLarge, read_page_bytes

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


TRUNCATED_WARNING = (f"only the first {MAX_BLOCKS:,} blocks were read; "
                     "the rest of the page is not in the output")
OUTPUT_SUFFIXES = {"text": ".txt", "markdown": ".md", "html": ".html", "json": ".json"}


def read_input(source: str) -> bytes:
    """A page's bytes from a path, or from stdin for '-'; gzip is undone either way."""
    if source == "-":
        return read_page_bytes(sys.stdin.buffer)
    with open(source, "rb") as handle:
        return read_page_bytes(handle)


def _is_single_page(inputs: list[str], output_dir: str | None) -> bool:
    from .batch import PAGE_SUFFIXES

    if len(inputs) != 1 or output_dir:
        return False
    path = Path(inputs[0])
    return inputs[0] == "-" or path.name.lower().endswith(PAGE_SUFFIXES) or \
        (path.is_file() and "." not in path.name)


class InputError(Exception):
    """One input could not be cleaned; the message names it."""


def _clean_single(args: argparse.Namespace) -> int:
    from .extractor import Extractor

    extractor = Extractor(args.model, threshold=args.threshold)
    source = args.inputs[0]
    try:
        article = extractor.article(read_input(source))
    except OSError as error:
        raise InputError(f"{source}: {error.strerror or error}") from error
    except Exception as error:  # whatever the page, one line naming it, not a traceback
        raise InputError(f"{source}: {_describe(error)}") from error
    output = render(article, args.format)
    sys.stdout.write(output + ("\n" if output and not output.endswith("\n") else ""))
    if article.truncated:
        print(f"dechaff: warning: {source}: {TRUNCATED_WARNING}", file=sys.stderr)
    return EXIT_OK


def _describe(error: Exception) -> str:
    """The error's message; its type's name too when that is not one of ours."""
    from .page import ParseError

    ours = isinstance(error, (ParseError, PageTooLarge))
    return str(error) if ours else f"{type(error).__name__}: {error}"


def _output_name(record: dict, used: set[str], fmt: str) -> str:
    name = Path(record["source"].split("#")[0].replace(":", "_")).name
    for suffix in (".gz", ".html", ".htm"):
        name = name.removesuffix(suffix)
    base, number = name or "page", 1
    while name in used:
        number += 1
        name = f"{base}-{number}"
    used.add(name)
    return name + OUTPUT_SUFFIXES[fmt]


def _clean_batch(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .batch import BatchConfig, clean_many, read_inputs
    from .model_io import load_model

    if args.model:
        load_model(args.model)  # a bad model fails once, up front, not once per page
    config = BatchConfig(args.model, args.threshold, args.format, args.timeout)
    records = clean_many(read_inputs(args.inputs), config, jobs=args.jobs)
    show = not args.quiet and sys.stderr.isatty()
    out_dir = Path(args.output_dir) if args.output_dir else None
    if out_dir:
        out_dir.mkdir(parents=True, exist_ok=True)
    failed, used = 0, set()
    for record in tqdm(records, unit="page", disable=not show, file=sys.stderr):
        if record["error"]:
            failed += 1
            print(f"dechaff: {record['source']}: {record['error']}", file=sys.stderr)
        if out_dir is None:
            print(json.dumps(record, ensure_ascii=False), flush=False)
        elif not record["error"]:
            name = _output_name(record, used, args.format)
            content = json.dumps(record, ensure_ascii=False) if args.format == "json" \
                else record["text"] + "\n"
            (out_dir / name).write_text(content, encoding="utf-8")
    sys.stdout.flush()
    return EXIT_FAILED if failed else EXIT_OK


def _clean(args: argparse.Namespace) -> int:
    if _is_single_page(args.inputs, args.output_dir):
        return _clean_single(args)
    return _clean_batch(args)


def _train(args: argparse.Namespace) -> int:
    from .evaluate import format_summary
    from .train import TrainConfig, train

    config = TrainConfig(folds=args.folds, seed=args.seed, n_jobs=args.jobs,
                         threshold=args.threshold)
    report = train(args.data, args.out, config, progress=not args.quiet)
    print(format_summary(report["cross_validation"],
                         f"{config.folds}-fold cross-validation, grouped by domain, "
                         f"threshold {report['threshold']}"))
    oracle = report["oracle"]
    print(f"\nlabel ceiling (oracle keeps the blocks labeled content): F1 {oracle['f1']:.3f}")
    if args.out:
        print(f"model written to {args.out}")
    return EXIT_OK


def _evaluate(args: argparse.Namespace) -> int:
    from .evaluate import format_summary, summarize
    from .extractor import Extractor
    from .train import load_pages, score

    extractor = Extractor(args.model, threshold=args.threshold)
    pages = load_pages(args.data, args.jobs, progress=not args.quiet)
    probabilities = [extractor.model.probabilities(p.features) for p in pages]
    summary = summarize(score(pages, probabilities, extractor.threshold))
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(format_summary(summary, f"model {args.model or 'default'}, mean word F1"))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dechaff", description="Remove boilerplate from web pages with a trained model."
    )
    parser.add_argument("--version", action="version", version=f"dechaff {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    clean = commands.add_parser(
        "clean", help="print the main content of a page, or of many as JSON Lines",
        description="One page prints its content. Several inputs, a directory, a glob, "
                    "JSON Lines (.jsonl, an 'html' field per line) or WARC files print "
                    "one JSON record per page (source, url, title, text, error), or "
                    "write one file per page with --output-dir. Exit status 1 if any "
                    "page failed; the others are still cleaned.")
    clean.add_argument("inputs", nargs="+", metavar="INPUT",
                       help="an .html/.html.gz file, a directory, a glob, .jsonl, .warc, "
                            "or - for stdin")
    clean.add_argument("--format", choices=FORMATS, default="text")
    clean.add_argument("--threshold", type=float, default=None,
                       help="keep blocks with P(content) at least this (default: the model's)")
    clean.add_argument("--model", default=None, help="a model written by `dechaff train`")
    clean.add_argument("--output-dir", default=None,
                       help="write one file per page here instead of JSON Lines")
    clean.add_argument("--jobs", type=int, default=1, help="processes cleaning in parallel")
    clean.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                       help="seconds a page may take before it is recorded as failed")
    clean.add_argument("--quiet", action="store_true", help="no progress bar")
    clean.set_defaults(run=_clean)

    train = commands.add_parser("train", help="fit a model on labeled pages")
    train.add_argument("data", nargs="+", help="directories of labeled pages")
    train.add_argument("--out", default=None,
                       help="where to write the model (.npz arrays; a .json manifest beside)")
    train.add_argument("--folds", type=int, default=5)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--jobs", type=int, default=2, help="processes for reading pages")
    train.add_argument("--threshold", type=float, default=None,
                       help="the model's threshold (default: the best out-of-fold one)")
    train.add_argument("--quiet", action="store_true", help="no progress bars")
    train.set_defaults(run=_train)

    evaluate = commands.add_parser("evaluate", help="score a model on labeled pages")
    evaluate.add_argument("data", nargs="+", help="directories of labeled pages")
    evaluate.add_argument("--model", default=None)
    evaluate.add_argument("--threshold", type=float, default=None)
    evaluate.add_argument("--jobs", type=int, default=2)
    evaluate.add_argument("--json", action="store_true", help="print the summary as JSON")
    evaluate.add_argument("--quiet", action="store_true", help="no progress bars")
    evaluate.set_defaults(run=_evaluate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .model_io import ModelError
    from .page import ParseError

    try:
        return args.run(args)
    except (InputError, ModelError, ParseError, OSError, ValueError) as error:
        print(f"dechaff: error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
