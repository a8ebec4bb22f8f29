#!/usr/bin/env python3
"""Time gapcheck: reading + segmenting, matching every pack, and the CLI end to end.

    python bench/bench.py [--sizes 1000,10000,100000] [--repeat 5]

Policies of the requested sizes are built by repeating the paragraphs of examples/thorough-policy.md (so the
text is realistic and the matches are many); the figures are medians over --repeat runs, on this machine.
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker import load_packs  # noqa: E402
from checker.api import check_document, read_document  # noqa: E402


def build_policy(words: int) -> str:
    paragraphs = [p for p in (ROOT / "examples" / "thorough-policy.md").read_text("utf-8").split("\n\n") if p.strip()]
    out, count, i = [], 0, 0
    while count < words:
        p = paragraphs[i % len(paragraphs)]
        out.append(p)
        count += len(p.split())
        i += 1
    return "\n\n".join(out) + "\n"


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    packs = load_packs()
    n_req = sum(len(p.requirements) for p in packs)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{len(packs)} packs, {n_req} requirements; median of {args.repeat} runs")
    print(f"{'words':>8}  {'read+segment':>13}  {'match+score':>12}  {'total':>9}  {'per 10k words':>13}")
    with tempfile.TemporaryDirectory() as tmp:
        for words in sizes:
            path = Path(tmp) / f"policy-{words}.md"
            path.write_text(build_policy(words), encoding="utf-8")
            t_read = median_time(lambda: read_document(str(path)), args.repeat)
            doc = read_document(str(path))
            t_match = median_time(lambda: check_document(doc, packs), args.repeat)
            total = t_read + t_match
            print(f"{doc.words:>8}  {t_read * 1000:>10.1f} ms  {t_match * 1000:>9.1f} ms  {total * 1000:>6.1f} ms"
                  f"  {total / doc.words * 10000 * 1000:>10.1f} ms")
        cli = [sys.executable, "-m", "checker"]
        t_start = median_time(lambda: subprocess.run(cli + ["--version"], capture_output=True, check=True), args.repeat)
        path = Path(tmp) / "policy-10k.md"
        path.write_text(build_policy(10000), encoding="utf-8")
        t_cli = median_time(lambda: subprocess.run(cli + [str(path), "-f", "json"], capture_output=True), args.repeat)
    print(f"CLI start-up (gapcheck --version): {t_start * 1000:.0f} ms; "
          f"CLI on a 10,000-word policy, all packs, JSON: {t_cli * 1000:.0f} ms")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
