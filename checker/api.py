"""The pipeline: read -> segment -> load packs -> match -> score. The CLI is a thin layer over `check`."""
from __future__ import annotations

import hashlib
import sys
from datetime import date
from pathlib import Path
from typing import Iterable, Sequence

from .document import segment
from .matcher import Doc
from .model import Document, Gate, GapcheckError, Report, Result
from .packs import Pack, load_packs
from .readers import POLICY_EXTENSIONS, read_bytes
from .scoring import assess, assess_flag, score
from .waivers import Waiver, apply_waivers, load_waivers

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


def expand_inputs(inputs: Iterable[str | Path]) -> list[str]:
    """Files as given; a folder gives every policy file in it (recursively, sorted); '-' is stdin."""
    out: list[str] = []
    for item in inputs:
        item = str(item)
        if item == "-":
            out.append(item)
            continue
        p = Path(item)
        if p.is_dir():
            files = sorted(
                f for f in p.rglob("*")
                if f.is_file() and f.suffix.lower() in POLICY_EXTENSIONS
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
                and not f.name.endswith(".test.md")
            )
            if not files:
                raise GapcheckError(f"{item}: no policy files ({', '.join(POLICY_EXTENSIONS)}) in this folder")
            out.extend(str(f) for f in files)
        elif p.exists():
            out.append(item)
        else:
            raise GapcheckError(f"{item}: no such file")
    if not out:
        raise GapcheckError("no policy given")
    return out


def read_document(path: str, encoding: str | None = None, fmt: str | None = None, data: bytes | None = None) -> Document:
    """Read one policy (a path, '-' for stdin, or `data` given directly) into a segmented Document."""
    name = "<stdin>" if path == "-" else path
    if data is None:
        try:
            if path == "-":
                data = sys.stdin.buffer.read(MAX_BYTES + 1)
            else:
                with open(path, "rb") as fh:
                    data = fh.read(MAX_BYTES + 1)
        except IsADirectoryError:
            raise GapcheckError(f"{name}: is a folder, not a file") from None
        except OSError as e:
            raise GapcheckError(f"{name}: cannot read ({e.strerror or e})") from None
    if len(data) > MAX_BYTES:
        raise GapcheckError(f"{name}: larger than {MAX_BYTES // (1024 * 1024)} MB, refused")
    if path == "-" and fmt is None:
        fmt = "markdown"
    text, fmt_name, blocks = read_bytes(data, name, encoding, fmt)
    return segment(text, blocks, name, fmt_name, hashlib.sha256(data).hexdigest())


def check_document(doc: Document, packs: Sequence[Pack], as_of: date | None = None) -> Report:
    """Assess one document; `as_of` is the check date for freshness rules (default: today)."""
    prepared = Doc(doc, as_of)
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
) -> Result:
    """Check one or more policies (paths, folders or '-') against the selected regimes, as of a check date
    (default today: it decides whether a 'last updated' date is recent enough). `gate` says when the run fails
    (Result.exit_code); `waivers` (a waivers file, or Waiver objects) marks accepted gaps."""
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    if packs is None:
        packs = load_packs(rules, parse_regimes(regimes))
    waiver_file = None
    if isinstance(waivers, (str, Path)):
        waiver_file = str(waivers)
        waivers = load_waivers(waivers)  # a bad waivers file fails before any policy is read
    as_of = as_of or date.today()  # one check date for every policy of the run, and for the report
    reports = tuple(check_document(read_document(p, encoding), packs, as_of) for p in expand_inputs(inputs))
    notices: tuple = ()
    if waivers:
        known = {r.id for p in (*load_packs(rules), *packs) for r in p.requirements}
        checked = {r.id for p in packs for r in p.requirements}
        reports, notices = apply_waivers(reports, waivers, as_of, known, checked)
    return Result(reports=reports, packs=tuple(packs), as_of=as_of, gate=gate or Gate(), waiver_file=waiver_file,
                  waiver_notices=notices)


def check_text(text: str, name: str = "policy.md", regimes: str | Sequence[str] | None = None,
               packs: Sequence[Pack] | None = None, as_of: date | None = None) -> Report:
    """Check a policy given as a string (format from `name`'s extension)."""
    if packs is None:
        packs = load_packs((), parse_regimes(regimes))
    return check_document(read_document(name, data=text.encode("utf-8")), packs, as_of)
