#!/usr/bin/env python3
"""Time the audit report (HTML and PDF) for a long policy: every regime, 20,000+ words.

    python bench/report_bench.py [--words 20000] [--repeat 3] [--keep out/bench-report.pdf]

The policy repeats the paragraphs of both example policies (so every requirement has passages to quote, and
gaps too). Prints the median wall-clock and CPU time of each stage over --repeat runs, and the page count.
The budget in issue 5 is 10 s for the PDF of such a policy.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker import check  # noqa: E402
from checker.formatters import render  # noqa: E402
from checker.formatters.pdf_format import html_to_pdf  # noqa: E402

AS_OF = date(2026, 11, 26)


def build_policy(words: int) -> str:
    paragraphs = []
    for name in ("thorough-policy.md", "gappy-policy.md"):
        paragraphs += [p for p in (ROOT / "examples" / name).read_text("utf-8").split("\n\n") if p.strip()]
    out, count, i = [], 0, 0
    while count < words:
        p = paragraphs[i % len(paragraphs)]
        out.append(p)
        count += len(p.split())
        i += 1
    return "\n\n".join(out) + "\n"


def timed(fn, repeat: int):
    walls, cpus, value = [], [], None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        value = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus), value


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--words", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", metavar="PDF", help="also write the PDF here")
    args = ap.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {load:.1f}; median of {args.repeat} runs")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long-policy.md"
        path.write_text(build_policy(args.words), encoding="utf-8")
        w_check, c_check, result = timed(lambda: check([str(path)], as_of=AS_OF), args.repeat)
        words = result.reports[0].document.words
        n = sum(len(r.findings) for r in result.reports)
        w_html, c_html, html = timed(lambda: render("html", result), args.repeat)
        w_pdf, c_pdf, pdf = timed(lambda: html_to_pdf(html), args.repeat)
        out = Path(tmp) / "report.pdf"
        out.write_bytes(pdf)
        pages = "?"
        try:
            info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
            pages = next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:"))
        except (OSError, subprocess.CalledProcessError, StopIteration):
            pass
        if args.keep:
            Path(args.keep).write_bytes(pdf)
    print(f"policy: {words:,} words, {len(result.packs)} packs, {n} requirements")
    print(f"{'stage':<22}{'wall':>9}{'cpu':>9}")
    for name, w, c in (("check", w_check, c_check), ("HTML report", w_html, c_html), ("PDF from the HTML", w_pdf, c_pdf)):
        print(f"{name:<22}{w:>8.2f}s{c:>8.2f}s")
    total_w, total_c = w_check + w_html + w_pdf, c_check + c_html + c_pdf
    print(f"{'total':<22}{total_w:>8.2f}s{total_c:>8.2f}s   ({len(html):,} characters of HTML, {len(pdf):,} bytes "
          f"of PDF, {pages} pages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
