"""Waivers: reviewed, reasoned acceptances of known gaps, read from a YAML file (checker/schema/
waivers.schema.json) and applied to the reports of a run.

    waivers:
      - id: gdpr.dpo_contact            # requirement id (required)
        documents: "policies/*.md"      # optional glob or list of globs; default: every document
        reason: "No DPO: Art. 37 does not apply to us (counsel memo 2026-03)"   # required
        expires: 2027-01-31             # optional; after it the gap counts again, with a notice
        approved_by: "J. Doe"           # optional

A waiver covers a gap (a missing or partial finding) of its requirement in the documents it names: the gap is
still reported, marked as waived with the reason, and does not fail the gate; scores are unchanged. A waiver
that covers no gap in the run is reported as stale, and an expired one as expired, so waivers cannot outlive
their reason silently. Document globs are matched against the policy's path relative to the waivers file's
folder (and against the path as given on the command line); `*` does not cross `/`, `**` does.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

from .model import AppliedWaiver, GapcheckError, Report, WaiverNotice
from .yamlfile import line_for, load_checked

DEFAULT_FILE = ".gapcheck-waivers.yaml"


@dataclass(frozen=True)
class Waiver:
    id: str
    reason: str
    source: str  # file:line
    documents: tuple[str, ...] = ()  # globs; () = every document
    expires: date | None = None
    approved_by: str | None = None
    base: str = "."  # the folder document globs are relative to (the waivers file's)

    def covers(self, document_path: str) -> bool:
        if not self.documents:
            return True
        candidates = _path_forms(document_path, self.base)
        return any(_glob_rx(g).match(c) for g in self.documents for c in candidates)

    def expired_on(self, day: date) -> bool:
        return self.expires is not None and day > self.expires


def load_waivers(path: str | Path) -> tuple[Waiver, ...]:
    """Read and validate a waivers file; every error names file:line (exit 2 from the CLI)."""
    path = Path(path)
    data, lines, label = load_checked(path, "waivers file", "waivers.schema.json", "waivers: []")
    out = []
    for i, w in enumerate(data["waivers"]):
        where = lambda *key: f"{label}:{line_for(lines, ('waivers', i) + key)}"  # noqa: E731
        expires = None
        if "expires" in w:
            try:
                expires = date.fromisoformat(w["expires"])
            except ValueError:
                raise GapcheckError(f"{where('expires')}: waivers[{i}].expires: '{w['expires']}' is not a date "
                                    f"(YYYY-MM-DD)") from None
        docs = w.get("documents", ())
        out.append(Waiver(id=w["id"], reason=" ".join(w["reason"].split()), source=where(),
                          documents=(docs,) if isinstance(docs, str) else tuple(docs), expires=expires,
                          approved_by=w.get("approved_by"), base=str(path.resolve().parent)))
    return tuple(out)


class WaiverSet:
    """Waivers applied report by report (a batch streams its reports), then the notices for the whole run.
    `known_ids`: every requirement id of the packs loaded (a waiver for any other id is an error: a typo would
    otherwise silently waive nothing); `checked_ids`: those of the regimes checked in this run (a waiver for
    an id outside them is neither applied nor stale)."""

    def __init__(self, waivers: Sequence[Waiver], as_of: date, known_ids: Iterable[str], checked_ids: Iterable[str]):
        known = set(known_ids)
        for w in waivers:
            if w.id not in known:
                close = _closest(w.id, known)
                raise GapcheckError(f"{w.source}: unknown requirement id '{w.id}'"
                                    + (f" (did you mean '{close}'?)" if close else ""))
        self.waivers, self.as_of, self.checked = tuple(waivers), as_of, set(checked_ids)
        self.used: set[int] = set()

    def apply(self, report: Report) -> Report:
        """The report with each gap a waiver covers marked (the first matching waiver wins)."""
        findings = []
        for f in report.findings:
            if f.is_gap:
                for k, w in enumerate(self.waivers):
                    if w.id == f.id and w.covers(report.document.path):
                        self.used.add(k)
                        f = replace(f, waiver=AppliedWaiver(reason=w.reason, source=w.source, approved_by=w.approved_by,
                                                            expires=w.expires, expired=w.expired_on(self.as_of)))
                        break
            findings.append(f)
        return replace(report, findings=tuple(findings))

    def notices(self) -> tuple[WaiverNotice, ...]:
        """Stale and expired waivers, after every report was applied."""
        out = []
        for k, w in enumerate(self.waivers):
            if w.id not in self.checked:
                continue
            if w.expired_on(self.as_of):
                out.append(WaiverNotice("expired", w.id, w.source, f"waiver for {w.id} expired on "
                                        f"{w.expires.isoformat()}" + (": its gap counts again" if k in self.used
                                                                     else " (and it matches no gap)")))
            elif k not in self.used:
                where = f" in {', '.join(w.documents)}" if w.documents else ""
                out.append(WaiverNotice("stale", w.id, w.source, f"stale waiver: {w.id} has no gap{where} to waive; "
                                        "remove the waiver"))
        return tuple(out)


def apply_waivers(reports: Sequence[Report], waivers: Sequence[Waiver], as_of: date,
                  known_ids: Iterable[str], checked_ids: Iterable[str]) -> tuple[tuple[Report, ...], tuple[WaiverNotice, ...]]:
    """Every report at once: (the reports with waived gaps marked, the notices)."""
    ws = WaiverSet(waivers, as_of, known_ids, checked_ids)
    reports = tuple(ws.apply(r) for r in reports)
    return reports, ws.notices()


def _path_forms(document_path: str, base: str) -> list[str]:
    forms = [_posix(document_path)]
    if document_path not in ("-", "<stdin>"):
        try:
            rel = os.path.relpath(os.path.abspath(document_path), base)
        except ValueError:  # another drive (Windows)
            rel = None
        if rel and not rel.startswith(".."):
            forms.insert(0, _posix(rel))
    return forms


def _posix(path: str) -> str:
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


@lru_cache(maxsize=256)
def _glob_rx(glob: str) -> re.Pattern:
    """A path glob: `*` and `?` stay within one folder, `**/` spans any number of folders, `[...]` a class."""
    glob = _posix(glob)
    out, i = "", 0
    while i < len(glob):
        ch = glob[i]
        if glob.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
            continue
        if glob.startswith("**", i):
            out += ".*"
            i += 2
            continue
        if ch == "*":
            out += "[^/]*"
        elif ch == "?":
            out += "[^/]"
        elif ch == "[":
            j = glob.find("]", i + 1)
            if j < 0:
                out += re.escape(ch)
            else:
                body = glob[i + 1:j].replace("\\", "\\\\")
                out += "[" + ("^" + body[1:] if body.startswith("!") else body) + "]"
                i = j
        else:
            out += re.escape(ch)
        i += 1
    return re.compile(out + r"\Z")


def _closest(word: str, options: Iterable[str]) -> str | None:
    import difflib

    got = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.75)
    return got[0] if got else None
