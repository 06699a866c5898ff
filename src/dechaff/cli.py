"""The `dechaff` command: clean pages, train a model, evaluate one."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .article import FORMATS, render
from .batch import DEFAULT_TIMEOUT
from .blocks import MAX_BLOCKS
from .decode import PageTooLarge, read_page_bytes

if TYPE_CHECKING:
    from .train import TrainConfig

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


def train_config(args: argparse.Namespace) -> TrainConfig:
    """The TrainConfig that `dechaff train`'s parsed arguments ask for."""
    from .train import TrainConfig

    options = {"max_iter": args.max_iter} if args.max_iter else {}
    if args.second_max_iter:
        options["second_max_iter"] = args.second_max_iter
    if args.min_label_f1 is not None:
        options["min_label_f1"] = args.min_label_f1
    if args.max_features is not None:
        options["max_features"] = args.max_features
    if args.lexicon:
        options["lexicon"] = True
    if args.distill:
        options["distill"] = args.distill
    if args.teacher_max_iter:
        options["teacher_max_iter"] = args.teacher_max_iter
    return TrainConfig(folds=args.folds, seed=args.seed, n_jobs=args.jobs,
                       threshold=args.threshold, weights=dict(args.weight), **options)


def _train(args: argparse.Namespace) -> int:
    from .evaluate import format_summary
    from .train import train

    config = train_config(args)
    report = train(args.data, args.out, config, progress=not args.quiet)
    print(format_summary(report["cross_validation"],
                         f"{config.folds}-fold cross-validation, grouped by domain, "
                         f"threshold {report['threshold']}"))
    for source, summary in report.get("cross_validation_by_data", {}).items():
        print("\n" + format_summary(summary, f"{source} pages alone"))
    oracle = report["oracle"]
    print(f"\nlabel ceiling (oracle keeps the blocks labeled content): F1 {oracle['f1']:.3f}")
    if config.min_label_f1 > 0:
        left_out = report["pages"] - report["fitted_pages"]
        print(f"{left_out} of {report['pages']} pages left out of fitting: their labels "
              f"reach less than F1 {config.min_label_f1} of their clean text")
    if args.out:
        print(f"model written to {args.out}")
        print("training report: " + ", ".join(report["files"][2:]))
        from .plots import PLOTS_HINT, have_matplotlib

        if not have_matplotlib():
            print(PLOTS_HINT, file=sys.stderr)
    return EXIT_OK


def _weight(value: str) -> tuple[str, float]:
    """DIR=W of --weight (split at the last '=', so a path may contain '=')."""
    directory, sep, weight = value.rpartition("=")
    try:
        number = float(weight)
    except ValueError:
        number = float("nan")
    if not sep or not directory or not number > 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"expected DIR=W with W a positive number: {value!r}")
    return directory, number


def _positive_int(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number: {value!r}")
    return int(value)


def _number(value: str) -> float:
    """``value`` as a float; NaN (outside every range) when it is not a number."""
    try:
        return float(value)
    except ValueError:
        return float("nan")


def _share(value: str) -> float:
    """A number in [0, 1], as --distill takes it."""
    number = _number(value)
    if not 0.0 <= number <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a share in [0, 1]: {value!r}")
    return number


def _shares(value: str) -> tuple[float, ...]:
    """Numbers in (0, 1], comma-separated, as --max-features takes them."""
    shares = []
    for part in value.split(","):
        number = _number(part)
        if not 0.0 < number <= 1.0:
            raise argparse.ArgumentTypeError(
                f"expected a share in (0, 1], or several comma-separated: {value!r}")
        shares.append(number)
    return tuple(shares)


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


def report_path(page: str, out: str | None) -> str:
    """Where `inspect` writes: --out, else NAME.inspect.html here; '-' (stdin) → stdout."""
    if out:
        return out
    if page == "-":
        return "-"
    name = Path(page).name
    for suffix in (".gz", ".html", ".htm"):
        name = name.removesuffix(suffix)
    return f"{name or 'page'}.inspect.html"


def _inspect(args: argparse.Namespace) -> int:
    from .extractor import Extractor
    from .inspection import inspect_page, render_report

    extractor = Extractor(args.model, threshold=args.threshold)
    name = Path(args.model).name if args.model else "default"
    inspection = inspect_page(read_input(args.page), extractor, name)
    report = render_report(inspection, "stdin" if args.page == "-" else args.page)
    out = report_path(args.page, args.out)
    if out == "-":
        sys.stdout.write(report)
    else:
        Path(out).write_text(report, encoding="utf-8")
        print(out)
    return EXIT_OK


def _label(args: argparse.Namespace) -> int:
    from .extractor import Extractor
    from .label import label_files

    extractor = Extractor(args.model, threshold=args.threshold)
    failed = 0
    for source, written, message in label_files(args.pages, Path(args.out_dir), extractor):
        if written is None:
            failed += 1
            print(f"dechaff: {source}: {message}", file=sys.stderr)
        else:
            print(f"{written}: {message}")
    return EXIT_FAILED if failed else EXIT_OK


def _model_options(command: argparse.ArgumentParser, verb: str = "keep") -> None:
    command.add_argument("--model", default=None, help="a model written by `dechaff train`")
    command.add_argument("--threshold", type=float, default=None,
                         help=f"{verb} blocks with P(content) at least this "
                              "(default: the model's); a page of one block keeps it")


def _add_clean(commands) -> None:
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
    _model_options(clean)
    clean.add_argument("--output-dir", default=None,
                       help="write one file per page here instead of JSON Lines")
    clean.add_argument("--jobs", type=int, default=1, help="processes cleaning in parallel")
    clean.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                       help="seconds a page may take before it is recorded as failed")
    clean.add_argument("--quiet", action="store_true", help="no progress bar")
    clean.set_defaults(run=_clean)


def _add_train(commands) -> None:
    train = commands.add_parser("train", help="fit a model on labeled pages")
    train.add_argument("data", nargs="+", help="directories of labeled pages")
    train.add_argument("--out", default=None,
                       help="where to write the model (.npz arrays; a .json manifest beside)")
    train.add_argument("--weight", type=_weight, action="append", default=[],
                       metavar="DIR=W",
                       help="weigh the pages of data directory DIR W times (default 1); "
                            "repeat for several directories")
    train.add_argument("--max-iter", type=_positive_int, default=None,
                       help="boosting rounds per pass (default 300); fewer train faster, "
                            "and worse")
    train.add_argument("--second-max-iter", type=_positive_int, default=None, metavar="N",
                       help="boosting rounds of the second pass (default: --max-iter)")
    train.add_argument("--max-features", type=_shares, default=None, metavar="SHARE[,SHARE]",
                       help="share of the features each split may choose from, drawn at "
                            "random per split (default 1: all; below 1 needs "
                            "scikit-learn >= 1.4); several shares train one model each "
                            "and average them")
    train.add_argument("--lexicon", action="store_true",
                       help="also learn which words and word pairs of a block mark "
                            "chrome or content (a linear model the first pass reads)")
    train.add_argument("--distill", type=_share, default=0.0, metavar="SHARE",
                       help="let the second pass learn from SHARE of its own out-of-fold "
                            "probabilities and 1 - SHARE of the labels (default 0: the "
                            "labels alone); training takes about 1.3 times as long")
    train.add_argument("--teacher-max-iter", type=_positive_int, default=None, metavar="N",
                       help="boosting rounds of the second pass that gives --distill its "
                            "probabilities (default 100)")
    train.add_argument("--folds", type=int, default=5)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--jobs", type=int, default=2, help="processes for reading pages")
    train.add_argument("--threshold", type=float, default=None,
                       help="the model's threshold (default: the best out-of-fold one)")
    train.add_argument("--min-label-f1", type=float, default=None, metavar="F1",
                       help="leave out of fitting (not of scoring) the pages whose "
                            "automatic labels reproduce their clean text below this word "
                            "F1 (default 0: every page is fitted)")
    train.add_argument("--quiet", action="store_true", help="no progress bars")
    train.set_defaults(run=_train)


def _add_evaluate(commands) -> None:
    evaluate = commands.add_parser("evaluate", help="score a model on labeled pages")
    evaluate.add_argument("data", nargs="+", help="directories of labeled pages")
    _model_options(evaluate)
    evaluate.add_argument("--jobs", type=int, default=2)
    evaluate.add_argument("--json", action="store_true", help="print the summary as JSON")
    evaluate.add_argument("--quiet", action="store_true", help="no progress bars")
    evaluate.set_defaults(run=_evaluate)


def _add_inspect(commands) -> None:
    inspect = commands.add_parser(
        "inspect", help="write an HTML report of why each block was kept or dropped",
        description="Write one self-contained HTML file: the page's blocks in order, "
                    "coloured by P(content), their features on hover, and the kept text.")
    inspect.add_argument("page", metavar="PAGE", help="an .html/.html.gz file, or - for stdin")
    inspect.add_argument("--out", default=None,
                         help="the report's path, - for stdout (default: PAGE's name with "
                              ".inspect.html, in the current directory; stdout for stdin)")
    _model_options(inspect)
    inspect.set_defaults(run=_inspect)


def _add_label(commands) -> None:
    label = commands.add_parser(
        "label", help="write pages marked with the model's labels, to correct by hand",
        description="Write a copy of each page with data-dechaff markers for the blocks "
                    "the model keeps (the marked format of labeled_data/README.md), as a "
                    "first draft to correct and train on. Exit status 1 if any page "
                    "failed; the others are still written.")
    label.add_argument("pages", nargs="+", metavar="PAGE", help=".html or .html.gz files")
    label.add_argument("--out-dir", required=True, help="where to write the labeled copies")
    _model_options(label, verb="mark")
    label.set_defaults(run=_label)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dechaff", description="Remove boilerplate from web pages with a trained model."
    )
    parser.add_argument("--version", action="version", version=f"dechaff {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    for add in (_add_clean, _add_train, _add_evaluate, _add_inspect, _add_label):
        add(commands)
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
