"""Size and shape limits: time and peak memory of `dechaff clean` on pathological pages.

    python bench/limits.py [--cases NAME ...] [--scale 1.0] [--max-seconds 600]

Each case writes one generated page to a temporary directory and runs the
`dechaff` command on it (one page, default model, text output) in a fresh
process, so the figures include start-up and model loading (about 0.9 s and
140 MB on a normal page). Time is wall-clock; peak RSS is the child's
ru_maxrss from wait4. A child is killed after --max-seconds and its address
space is capped at --max-memory-mb, so a runaway case reports itself instead of
taking the machine down. --scale shrinks (or grows) every case, for a quick run.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

MB = 1024 * 1024
SECTION = ("<div class='post'><h2>Section</h2><p>" + "Plain sentence of prose. " * 20
           + "</p><ul><li><a href='/x'>Link one</a></li><li><a href='/y'>Link two</a>"
           "</li></ul></div>")
HEAD, TAIL = "<html><head><title>t</title></head><body>", "</body></html>"


def big_page(scale: float) -> str:
    """A 50 MB page of ordinary repeated sections."""
    return HEAD + SECTION * int(50 * MB * scale / len(SECTION)) + TAIL


def one_text_node(scale: float) -> str:
    """One <p> whose single text node is 20 MB of words."""
    return HEAD + "<p>" + "word " * int(20 * MB * scale / 5) + "</p>" + TAIL


def deep_nesting(scale: float) -> str:
    """100,000 nested <div>s around one sentence."""
    depth = int(100_000 * scale)
    return HEAD + "<div>" * depth + "deep text" + "</div>" * depth + TAIL


def tiny_elements(scale: float) -> str:
    """A million <span>x</span> in one body."""
    return HEAD + "<span>x</span>" * int(1_000_000 * scale) + TAIL


def many_br(scale: float) -> str:
    """A million <br> inside one paragraph."""
    return HEAD + "<p>" + "a<br>" * int(1_000_000 * scale) + "</p>" + TAIL


def many_paragraphs(scale: float) -> str:
    """A million one-word paragraphs: a million blocks."""
    return HEAD + "<p>w</p>" * int(1_000_000 * scale) + TAIL


CASES: dict[str, Callable[[float], str]] = {
    "50 MB page": big_page,
    "20 MB text node": one_text_node,
    "100,000-deep nesting": deep_nesting,
    "1,000,000 tiny elements": tiny_elements,
    "1,000,000 <br>": many_br,
    "1,000,000 paragraphs": many_paragraphs,
}


def _limit_memory(max_bytes: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))
    return apply


def measure(path: Path, max_seconds: float, max_memory_mb: int) -> dict:
    """Run `dechaff clean PATH` once: exit status, seconds, peak RSS, output and stderr."""
    dechaff = str(Path(sys.executable).with_name("dechaff"))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen([dechaff, "clean", str(path)], stdout=out, stderr=err,
                                 env=env, preexec_fn=_limit_memory(max_memory_mb * MB))
        timer = signal.signal(signal.SIGALRM, lambda *_: child.kill())
        signal.setitimer(signal.ITIMER_REAL, max_seconds)
        _, status, usage = os.wait4(child.pid, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, timer)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        output, message = out.read(), err.read().decode("utf-8", "replace")
    return {"status": child.returncode, "seconds": seconds,
            "peak_mb": usage.ru_maxrss / 1024, "output_bytes": len(output),
            "stderr": message.strip().splitlines()[-1:] or [""]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", nargs="*", choices=list(CASES), default=list(CASES))
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--max-seconds", type=float, default=600)
    parser.add_argument("--max-memory-mb", type=int, default=8192)
    args = parser.parse_args()

    print(f"# `dechaff clean` on pathological pages, {date.today()}, scale {args.scale:g}\n")
    print("| case | input MB | exit | seconds | peak RSS MB | output bytes | stderr |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as workdir:
        for name in args.cases:
            path = Path(workdir) / "page.html"
            path.write_text(CASES[name](args.scale), encoding="utf-8")
            size = path.stat().st_size / MB
            r = measure(path, args.max_seconds, args.max_memory_mb)
            print(f"| {name} | {size:.1f} | {r['status']} | {r['seconds']:.1f} | "
                  f"{r['peak_mb']:.0f} | {r['output_bytes']:,} | {r['stderr'][0][:80]} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
