"""The pipeline: read -> segment -> load packs -> match -> score. The CLI is a thin layer over `check`."""
from __future__ import annotations

import gc
import hashlib
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from .batch import Failure, check_many
from .document import segment
from .matcher import Doc
from .model import Document, Gate, GapcheckError, Report, Result
from .packs import Pack, load_packs
from .readers import POLICY_EXTENSIONS, read_bytes
from .readability import measure as measure_readability
from .scoring import assess, assess_flag, score
from .waivers import Waiver, WaiverSet, load_waivers

MAX_BYTES = 20 * 1024 * 1024


def parse_regimes(value: str | Sequence[str] | None) -> list[str] | None:
    """'gdpr,ccpa' -> ['gdpr', 'ccpa']; 'all' or None -> None (every pack)."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    names: list[str] = []
    for item in items:
        item = item.strip().lower()
        if not item:
            continue
        if item == "all":
            return None
        if item not in names:
            names.append(item)
    if not names:
        raise GapcheckError("--regime: give one or more of gdpr, ccpa, coppa, all")
    return names


def expand_inputs(inputs: Iterable[str | Path], skipped: list[str] | None = None) -> list[str]:
    """Files as given; a folder gives every policy file in it (recursively, sorted); '-' is stdin. The other
    files of a folder (another extension; not hidden ones, nor rule tests) are added to `skipped`."""
    out: list[str] = []
    for item in inputs:
        item = str(item)
        if item == "-":
            out.append(item)
            continue
        p = Path(item)
        if p.is_dir():
            files, others = [], []
            for f in p.rglob("*"):
                if (not f.is_file() or any(part.startswith(".") for part in f.relative_to(p).parts)
                        or f.name.endswith(".test.md")):
                    continue
                (files if f.suffix.lower() in POLICY_EXTENSIONS else others).append(f)
            if not files:
                raise GapcheckError(f"{item}: no policy files ({', '.join(POLICY_EXTENSIONS)}) in this folder")
            out.extend(str(f) for f in sorted(files))
            if skipped is not None:
                skipped.extend(str(f) for f in sorted(others))
        elif p.exists():
            out.append(item)
        else:
            raise GapcheckError(f"{item}: no such file")
    if not out:
        raise GapcheckError("no policy given")
    return out


def read_document(path: str, encoding: str | None = None, fmt: str | None = None, data: bytes | None = None,
                  max_bytes: int | None = None) -> Document:
    """Read one policy (a path, '-' for stdin, or `data` given directly) into a segmented Document. Input
    larger than `max_bytes` (default MAX_BYTES, 20 MB) is refused."""
    name = "<stdin>" if path == "-" else path
    limit = max_bytes or MAX_BYTES
    if data is None:
        try:
            if path == "-":
                data = sys.stdin.buffer.read(limit + 1)
            else:
                with open(path, "rb") as fh:
                    data = fh.read(limit + 1)
        except IsADirectoryError:
            raise GapcheckError(f"{name}: is a folder, not a file") from None
        except OSError as e:
            raise GapcheckError(f"{name}: cannot read ({e.strerror or e})") from None
    if len(data) > limit:
        raise GapcheckError(f"{name}: larger than the size limit of {format_size(limit)} (--max-size), refused")
    if path == "-" and fmt is None:
        fmt = "markdown"
    text, fmt_name, blocks, used = read_bytes(data, name, encoding, fmt)
    return segment(text, blocks, name, fmt_name, hashlib.sha256(data).hexdigest(), used)


def format_size(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if n >= size:
            return f"{n / size:g} {unit}"
    return f"{n} bytes"


def parse_size(value: str) -> int:
    """'20MB', '500k', '1.5 GB', '1000' (bytes) -> bytes."""
    import re

    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?\s*", value.lower())
    if not m or float(m.group(1)) <= 0:
        raise GapcheckError(f"--max-size: '{value}' is not a size (for example 20MB, 500kB)")
    return int(float(m.group(1)) * {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m.group(2)])


def check_document(doc: Document, packs: Sequence[Pack], as_of: date | None = None, profile=None) -> Report:
    """Assess one document; `as_of` is the check date for freshness rules (default: today); `profile` (a
    checker.profile.Profile) declares facts that decide conditional requirements."""
    with _no_cyclic_gc():
        return _check_document(doc, packs, as_of, profile)


@contextmanager
def _no_cyclic_gc():
    """Python's cyclic garbage collector, while a check runs, rescans the document's word index and hits (which
    hold no reference cycles) again and again: 20% of the time at 100,000 words, growing with size. Reference
    counting still frees everything; the collector is switched back on afterwards, as it was."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _check_document(doc: Document, packs: Sequence[Pack], as_of: date | None, profile) -> Report:
    prepared = Doc(doc, as_of, profile)
    findings = [assess(req, prepared) for pack in packs for req in pack.requirements]
    flags = [f for pack in packs for flag in pack.flags for f in [assess_flag(flag, prepared)] if f is not None]
    by_regime = {p.regime: score([f for f in findings if f.regime == p.regime]) for p in packs}
    return Report(
        document=doc,
        regimes=tuple(p.regime for p in packs),
        findings=tuple(findings),
        score_overall=score(findings),
        score_by_regime=by_regime,
        flags=tuple(flags),
        readability=measure_readability(doc),
    )


def check(
    inputs: Iterable[str | Path] | str | Path,
    regimes: str | Sequence[str] | None = None,
    rules: Iterable[str | Path] = (),
    encoding: str | None = None,
    packs: Sequence[Pack] | None = None,
    as_of: date | None = None,
    gate: Gate | None = None,
    waivers: str | Path | Sequence[Waiver] | None = None,
    jobs: int | None = 1,
    max_bytes: int | None = None,
    progress=None,
    profile=None,
) -> Result:
    """Check one or more policies (paths, folders or '-') against the selected regimes, as of a check date
    (default today: it decides whether a 'last updated' date is recent enough). `gate` says when the run fails
    (Result.exit_code); `waivers` (a waivers file, or Waiver objects) marks accepted gaps; `jobs` worker
    processes (None: one per core). With one policy, an unreadable policy raises GapcheckError; with several,
    it is listed in Result.errors and the others are checked."""
    run = Run(inputs, regimes, rules, encoding, packs, as_of, waivers, jobs, max_bytes, profile)
    reports, errors = [], []
    for got in run.results(progress):
        (errors if isinstance(got, Failure) else reports).append(got)
    if errors and len(run.paths) == 1:
        raise GapcheckError(errors[0].message)
    return run.result(tuple(reports), tuple(errors), gate)


def skipped_note(skipped: Sequence[str]) -> str:
    """One line on the files of the folders given that were not read: '3 files of the folders given are not in a
    policy format and were not read: 2 .doc, 1 .rtf (the first: corpus/a.doc)'."""
    kinds: dict[str, int] = {}
    for path in skipped:
        ext = Path(path).suffix.lower() or "without an extension"
        kinds[ext] = kinds.get(ext, 0) + 1
    counts = ", ".join(f"{n} {ext}" for ext, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
    if len(skipped) == 1:
        return f"1 file of the folders given is not in a policy format and was not read: {counts} ({skipped[0]})"
    return (f"{len(skipped)} files of the folders given are not in a policy format and were not read: {counts} "
            f"(the first: {skipped[0]})")


class Run:
    """One check of many policies, consumed as a stream (Run.results) for bounded memory, then summed up
    (Run.result). Packs and waivers are loaded, and inputs expanded, when it is created: errors there come
    before any policy is read."""

    def __init__(self, inputs, regimes=None, rules=(), encoding=None, packs=None, as_of=None, waivers=None,
                 jobs: int | None = 1, max_bytes: int | None = None, profile=None):
        if isinstance(inputs, (str, Path)):
            inputs = [inputs]
        self.packs = tuple(packs if packs is not None else load_packs(rules, parse_regimes(regimes)))
        self.waiver_file = None
        if isinstance(waivers, (str, Path)):
            self.waiver_file = str(waivers)
            waivers = load_waivers(waivers)  # a bad waivers file fails before any policy is read
        self.as_of = as_of or date.today()  # one check date for every policy of the run, and for the report
        self.waivers = None
        if waivers:
            known = {r.id for p in (*load_packs(rules), *self.packs) for r in p.requirements}
            checked = {r.id for p in self.packs for r in p.requirements}
            self.waivers = WaiverSet(waivers, self.as_of, known, checked)
        if isinstance(profile, (str, Path)):
            from .profile import load_profile

            profile = load_profile(profile)  # a bad profile fails before any policy is read
        self.profile = profile
        self.skipped: list[str] = []  # files of the folders given that are not in a policy format
        self.paths = expand_inputs(inputs, self.skipped)
        self.encoding, self.jobs, self.max_bytes = encoding, jobs, max_bytes

    def results(self, progress=None) -> Iterator[Report | Failure]:
        """A Report (waivers applied) or a Failure per policy, in input order."""
        for got in check_many(self.paths, self.packs, self.as_of, self.encoding, self.jobs, self.max_bytes, progress,
                              self.profile):
            yield self.waivers.apply(got) if self.waivers is not None and isinstance(got, Report) else got

    def result(self, reports: tuple[Report, ...], errors: tuple[Failure, ...] = (), gate: Gate | None = None) -> Result:
        return Result(reports=reports, packs=self.packs, as_of=self.as_of, gate=gate or Gate(),
                      waiver_file=self.waiver_file, waiver_notices=self.waivers.notices() if self.waivers else (),
                      errors=errors, profile=self.profile)


def check_text(text: str, name: str = "policy.md", regimes: str | Sequence[str] | None = None,
               packs: Sequence[Pack] | None = None, as_of: date | None = None) -> Report:
    """Check a policy given as a string (format from `name`'s extension)."""
    if packs is None:
        packs = load_packs((), parse_regimes(regimes))
    return check_document(read_document(name, data=text.encode("utf-8")), packs, as_of)
