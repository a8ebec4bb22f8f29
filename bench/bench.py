#!/usr/bin/env python3
"""Time gapcheck in CPU seconds: loading the rule packs (with and without the pack cache), reading and
segmenting, the first check in a process and later ones, and the CLI end to end (wall and CPU time, and peak
memory, at each size); then a batch of policies through the CLI in parallel (policies per second).

    python bench/bench.py [--sizes 1000,10000,100000,1000000] [--repeat 3] [--batch 500] [--batch-from g200]
                          [--jobs N]

Policies of the requested sizes are built by repeating the paragraphs of examples/thorough-policy.md (so the
text is realistic and the matches are many). Every figure is CPU time (time.process_time, or user+sys of a
child process), the median over --repeat runs: on a shared machine wall time mostly measures the neighbours.
Each "cold" figure comes from a fresh process, with its own pack cache folder.
"""
from __future__ import annotations

import argparse
import json
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


def build_policy(words: int) -> str:
    paragraphs = [p for p in (ROOT / "examples" / "thorough-policy.md").read_text("utf-8").split("\n\n") if p.strip()]
    out, count, i = [], 0, 0
    while count < words:
        p = paragraphs[i % len(paragraphs)]
        out.append(p)
        count += len(p.split())
        i += 1
    return "\n\n".join(out) + "\n"


def child(policy: str) -> None:
    """In a fresh process: CPU time of each step, as JSON on stdout."""
    t0 = time.process_time()
    import checker  # noqa: PLC0415
    from checker.api import check_document, read_document  # noqa: PLC0415

    t1 = time.process_time()
    packs = checker.load_packs()
    t2 = time.process_time()
    out = {"import": t1 - t0, "load": t2 - t1}
    if policy:
        doc = read_document(policy)
        t3 = time.process_time()
        check_document(doc, packs)
        t4 = time.process_time()
        out.update(read=t3 - t2, first=t4 - t3)
    print(json.dumps(out))


def run_child(policy: str, env: dict) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", policy], capture_output=True, text=True, env=env,
                          check=True)
    return json.loads(proc.stdout)


def child_cpu(cmd: list[str], env: dict) -> float:
    """user + sys CPU seconds of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, capture_output=True, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000,1000000")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure (1 for sizes over 100,000 words)")
    ap.add_argument("--batch", type=int, default=500, help="policies in the batch run (0: skip it)")
    ap.add_argument("--batch-from", default=None, metavar="FOLDER",
                    help="cycle the batch from one corpus folder (g200, c3pa, policies; default: all three)")
    ap.add_argument("--jobs", type=int, default=None, help="--jobs for the batch run (default: gapcheck's)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        child(args.child)
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    rep = max(1, args.repeat)

    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, GAPCHECK_CACHE_DIR=str(Path(tmp) / "cache"))
        env.pop("GAPCHECK_NO_CACHE", None)
        no_cache = dict(env, GAPCHECK_NO_CACHE="1")

        # pack loading, each in a fresh process: from the rule files, into an empty cache, from the cache
        plain = [run_child("", no_cache)["load"] for _ in range(rep)]
        miss = []
        for i in range(rep):
            miss.append(run_child("", dict(env, GAPCHECK_CACHE_DIR=str(Path(tmp) / f"miss{i}")))["load"])
        run_child("", env)  # fill the shared cache
        hit = [run_child("", env)["load"] for _ in range(rep)]

        # the CLI end to end and the batch first, while this process is small: a child forked from a process
        # that once held a million-word check reports that process's peak memory as its own (Linux keeps the
        # larger of the two across fork and exec)
        cli = [sys.executable, "-m", "checker"]
        end_to_end = ["", "the CLI end to end, JSON output, pack cache warm (wall seconds; CPU seconds; peak memory)",
                      f"{'words':>8}  {'wall':>7}  {'x prev':>6}  {'CPU':>7}  {'peak MB':>7}"]
        for words in sizes:
            (Path(tmp) / f"policy-{words}.md").write_text(build_policy(words), encoding="utf-8")
        # a run puts the regexes it needed in the cache, compiled; the sizes above 100,000 words only repeat text
        for words in sizes:
            if words <= 100_000 or words == sizes[0]:
                cli_run(cli + [str(Path(tmp) / f"policy-{words}.md"), "-f", "json", "-o", str(Path(tmp) / "out.json")],
                        env)
        prev = None
        for words in sizes:
            path = Path(tmp) / f"policy-{words}.md"
            r = rep if words <= 100_000 else 1
            runs = [cli_run(cli + [str(path), "-f", "json", "-o", str(Path(tmp) / "out.json")], env) for _ in range(r)]
            wall, cpu, peak = median([x[0] for x in runs]), median([x[1] for x in runs]), max(x[2] for x in runs)
            ratio = f"{wall / prev:6.1f}" if prev else f"{'':>6}"
            end_to_end.append(f"{words:>8}  {wall:>7.2f}  {ratio}  {cpu:>7.2f}  {peak:>7.0f}")
            prev = wall
        if args.batch:
            folder = Path(tmp) / "batch"
            n = build_batch(folder, args.batch, args.batch_from)
            cmd = cli + [str(folder), "-f", "jsonl", "--no-progress"]
            cmd += ["--jobs", str(args.jobs)] if args.jobs else []
            wall, cpu, peak = cli_run(cmd, env, stdout=Path(tmp) / "batch.jsonl")
            words = sum(len(p.read_text("utf-8").split()) for p in folder.iterdir())
            end_to_end.append(f"\nbatch: {n} policies ({words:,} words, from {BATCH_SOURCE}), JSON Lines, "
                              f"jobs {args.jobs or 'default'}: {wall:.1f} s wall, {n / wall:.1f} policies/s; "
                              f"{cpu:.1f} s CPU; peak memory of one process {peak:.0f} MB")

        os.environ["GAPCHECK_NO_CACHE"] = "1"  # this process only times warm checks: no cache of its own
        import checker  # noqa: PLC0415
        from checker.api import check_document, read_document  # noqa: PLC0415

        packs = checker.load_packs()
        n_req = sum(len(p.requirements) for p in packs)
        n_flags = sum(len(p.flags) for p in packs)
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
              f"load average {os.getloadavg()[0]:.1f}; {len(packs)} packs, {n_req} requirements, {n_flags} red flags; "
              f"CPU seconds, median of {rep} runs")
        print(f"pack load: rule files (no cache) {median(plain):.3f}; into an empty cache {median(miss):.3f}; "
              f"from the cache {median(hit):.3f}")

        print(f"{'words':>8}  {'read+segment':>12}  {'first check':>11}  {'warm check':>10}  {'warm per 10k':>12}")
        for words in sizes:
            path = Path(tmp) / f"policy-{words}.md"
            r = rep if words <= 100_000 else 1
            # the first check in a process compiles the regexes it needs, unless the pack cache holds them
            # compiled already (it does after one run): measured in a fresh process, cache warm
            run_child(str(path), env)
            first = median([run_child(str(path), env)["first"] for _ in range(r)])
            doc = read_document(str(path))
            check_document(doc, packs)  # compile what it needs first: then only matching is timed
            reads, warms = [], []
            for _ in range(r):
                t = time.process_time()
                read_document(str(path))
                reads.append(time.process_time() - t)
                t = time.process_time()
                check_document(doc, packs)
                warms.append(time.process_time() - t)
            warm = median(warms)
            print(f"{doc.words:>8}  {median(reads):>12.3f}  {first:>11.3f}  {warm:>10.3f}"
                  f"  {warm / doc.words * 10000:>12.3f}")

        cli = [sys.executable, "-m", "checker"]
        path = Path(tmp) / "policy-10k.md"
        path.write_text(build_policy(10000), encoding="utf-8")
        child_cpu(cli + [str(path), "-f", "json"], env)  # the cache holds this run's compiled regexes after it
        t_start = median([child_cpu(cli + ["--version"], env) for _ in range(rep)])
        t_cli = median([child_cpu(cli + [str(path), "-f", "json"], env) for _ in range(rep)])
        t_cli_plain = median([child_cpu(cli + [str(path), "-f", "json"], no_cache) for _ in range(rep)])
        print(f"CLI start-up (gapcheck --version): {t_start:.2f}; CLI on a 10,000-word policy, all packs, JSON: "
              f"{t_cli:.2f} (pack cache warm), {t_cli_plain:.2f} (GAPCHECK_NO_CACHE=1)")

        print("\n".join(end_to_end))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MB")
    return 0


BATCH_SOURCE = "../shared/corpus (g200, c3pa, policies), repeated"


def build_batch(folder: Path, n: int, only: str | None = None) -> int:
    """n policy files: the corpus policies (or, without the corpus, the examples), repeated as needed; `only`:
    those of one corpus folder."""
    global BATCH_SOURCE
    corpus = ROOT.parent / "shared" / "corpus"
    sources = sorted(corpus.glob("*/policies/*.md")) + sorted(corpus.glob("policies/*.md"))
    if only:
        sources = [p for p in sources if p.relative_to(corpus).parts[0] == only]
        if not sources:
            raise SystemExit(f"no policies in {corpus / only}")
        BATCH_SOURCE = f"../shared/corpus/{only}, repeated"
    if not sources:
        sources = sorted((ROOT / "examples").glob("*.md"))
        BATCH_SOURCE = "examples/, repeated"
    folder.mkdir()
    for i in range(n):
        src = sources[i % len(sources)]
        (folder / f"{i:04d}-{src.name}").write_bytes(src.read_bytes())
    return n


def cli_run(cmd: list[str], env: dict, stdout: Path | None = None) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds of the process and its workers, peak RSS in MB of the largest of them), from
    this one child's own resource usage (os.wait4)."""
    t = time.perf_counter()
    with open(stdout or os.devnull, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, env=env)
        _, _, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0  # reaped by wait4
    wall = time.perf_counter() - t
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


if __name__ == "__main__":
    sys.exit(main())
