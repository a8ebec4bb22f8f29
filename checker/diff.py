"""`gapcheck diff OLD NEW`: what got better and what got worse between two versions of a policy, requirement
by requirement.

Either side may be a policy file or a JSON report gapcheck wrote earlier (`-f json` / `-o report.json`, one
policy), so a CI job can compare a draft with the report of the last published version. Findings are matched
by requirement id (the stable fingerprint is the id and the document; line numbers play no part).

A change is a regression when the status got worse (met > partial > missing; a requirement that did not apply
and now applies but is missing counts too) or, with the status unchanged, a part of the requirement found in
OLD is no longer found in NEW (evidence vanished). A red flag in NEW that OLD did not raise is a regression too.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Sequence

from .model import GapcheckError, fingerprint

RANK = {"missing": 0, "partial": 1, "met": 2}


@dataclass(frozen=True)
class Side:
    """One version, reduced to what a comparison needs (from a check, or from a saved JSON report)."""

    path: str
    sha256: str
    source: str  # "policy" | "report"
    regimes: tuple[str, ...]
    scores: dict[str, float | None]
    findings: dict[str, dict[str, Any]]  # id -> finding as in the JSON report
    flags: dict[str, dict[str, Any]]  # flag id -> first raised flag


@dataclass(frozen=True)
class Change:
    id: str
    regime: str
    title: str
    citation: str
    severity: str
    old_status: str | None  # None: not checked in OLD (a new requirement or regime)
    new_status: str | None
    # "regressed" | "evidence_lost" | "improved" | "evidence_gained" | "changed" (e.g. now not applicable) |
    # "unchanged" | "one_sided" (checked in one version only, e.g. a saved report made with fewer regimes)
    kind: str
    lost: tuple[str, ...] = ()  # parts found in OLD, not in NEW
    gained: tuple[str, ...] = ()
    old_quote: str | None = None
    new_quote: str | None = None
    new_line: int | None = None
    fingerprint: str = ""

    @property
    def is_regression(self) -> bool:
        return self.kind in ("regressed", "evidence_lost")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "regime": self.regime, "title": self.title, "citation": self.citation,
                "severity": self.severity, "old_status": self.old_status, "new_status": self.new_status,
                "change": self.kind, "regression": self.is_regression, "elements_lost": list(self.lost),
                "elements_gained": list(self.gained), "old_quote": self.old_quote, "new_quote": self.new_quote,
                "new_line": self.new_line, "fingerprint": self.fingerprint}


@dataclass(frozen=True)
class Diff:
    old: Side
    new: Side
    changes: tuple[Change, ...]  # every requirement checked on either side, in pack order
    new_flags: tuple[dict[str, Any], ...]  # red flags raised in NEW only (regressions)
    resolved_flags: tuple[dict[str, Any], ...]  # raised in OLD only
    as_of: date | None = None

    @property
    def regressions(self) -> list[Change]:
        return [c for c in self.changes if c.is_regression]

    @property
    def improvements(self) -> list[Change]:
        return [c for c in self.changes if c.kind in ("improved", "evidence_gained")]

    @property
    def one_sided(self) -> list[Change]:
        return [c for c in self.changes if c.kind == "one_sided"]

    @property
    def regressed(self) -> bool:
        return bool(self.regressions or self.new_flags)

    def exit_code(self) -> int:
        return 1 if self.regressed else 0

    def to_dict(self) -> dict[str, Any]:
        from . import __version__

        side = lambda s: {"path": s.path, "sha256": s.sha256, "source": s.source,  # noqa: E731
                          "score": dict(s.scores)}
        return {
            "schema_version": "1",
            "tool": {"name": "gapcheck", "version": __version__},
            "kind": "diff",
            "old": side(self.old),
            "new": side(self.new),
            "regressed": self.regressed,
            "summary": {"regressions": len(self.regressions), "improvements": len(self.improvements),
                        "new_flags": len(self.new_flags), "resolved_flags": len(self.resolved_flags)},
            "changes": [c.to_dict() for c in self.changes if c.kind not in ("unchanged", "one_sided")],
            "not_compared": [c.id for c in self.one_sided],
            "new_flags": list(self.new_flags),
            "resolved_flags": list(self.resolved_flags),
        }


def side_from_report(report_dict: dict[str, Any], source: str) -> Side:
    doc = report_dict["document"]
    return Side(path=doc["path"], sha256=doc.get("sha256", ""), source=source,
                regimes=tuple(report_dict.get("regimes", ())),
                scores=dict(report_dict.get("score", {}).get("by_regime", {})),
                findings={f["id"]: f for f in report_dict.get("findings", ())},
                flags={fl["id"]: fl for fl in reversed(report_dict.get("flags", ()))})


def load_saved_report(path: str) -> Side | None:
    """A JSON report written by gapcheck (exactly one policy), or None when `path` is not one."""
    if not path.lower().endswith(".json"):
        return None
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except OSError as e:
        raise GapcheckError(f"{path}: cannot read ({e.strerror or e})") from None
    except (UnicodeDecodeError, ValueError):
        raise GapcheckError(f"{path}: not valid JSON, so not a saved gapcheck report") from None
    if not isinstance(data, dict) or not isinstance(data.get("tool"), dict) \
            or data["tool"].get("name") != "gapcheck" or not isinstance(data.get("reports"), list):
        raise GapcheckError(f"{path}: not a JSON report written by gapcheck (-f json); give a policy file or such a "
                            "report")
    reports = data["reports"]
    if len(reports) != 1:
        raise GapcheckError(f"{path}: a saved report to compare must hold exactly one policy (it has {len(reports)})")
    try:
        return side_from_report(reports[0], "report")
    except (KeyError, TypeError):
        raise GapcheckError(f"{path}: not a gapcheck JSON report (fields missing)") from None


def _first_quote(f: dict[str, Any] | None) -> tuple[str | None, int | None]:
    ev = (f or {}).get("evidence") or []
    return (ev[0]["quote"], ev[0].get("line")) if ev else (None, None)


def _kind(old: dict | None, new: dict | None) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    if old is None or new is None:
        return "one_sided", (), ()
    a, b = old["status"], new["status"]
    found_a = {k for k, v in (old.get("elements") or {}).items() if v}
    found_b = {k for k, v in (new.get("elements") or {}).items() if v}
    lost, gained = tuple(sorted(found_a - found_b)), tuple(sorted(found_b - found_a))
    if a == b:
        if lost:
            return "evidence_lost", lost, gained
        return ("evidence_gained" if gained else "unchanged"), lost, gained
    if a == "not_applicable":
        return ("regressed" if b == "missing" else "changed"), lost, gained
    if b == "not_applicable":
        return "changed", lost, gained
    return ("regressed" if RANK[b] < RANK[a] else "improved"), lost, gained


def compare(old: Side, new: Side, order: Sequence[str] = (), as_of: date | None = None,
            labels: dict[str, dict[str, str]] | None = None) -> Diff:
    """Compare two sides; `order` is the pack order of requirement ids (others follow in NEW's, then OLD's order);
    `labels` gives each requirement's element names in words (id -> name -> label) for the parts lost or gained."""
    labels = labels or {}
    ids = list(dict.fromkeys([i for i in order if i in old.findings or i in new.findings]
                             + list(new.findings) + list(old.findings)))
    changes = []
    for rid in ids:
        a, b = old.findings.get(rid), new.findings.get(rid)
        ref = b or a
        kind, lost, gained = _kind(a, b)
        names = labels.get(rid, {})
        lost, gained = tuple(names.get(n, n) for n in lost), tuple(names.get(n, n) for n in gained)
        new_quote, new_line = _first_quote(b)
        changes.append(Change(
            id=rid, regime=ref.get("regime", rid.split(".", 1)[0]), title=ref.get("title", rid),
            citation=ref.get("citation", ""), severity=ref.get("severity", ""),
            old_status=a["status"] if a else None, new_status=b["status"] if b else None, kind=kind,
            lost=lost, gained=gained, old_quote=_first_quote(a)[0], new_quote=new_quote, new_line=new_line,
            fingerprint=fingerprint(new.path, rid)))
    new_flags = tuple(fl for fid, fl in sorted(new.flags.items()) if fid not in old.flags)
    resolved = tuple(fl for fid, fl in sorted(old.flags.items()) if fid not in new.flags)
    return Diff(old=old, new=new, changes=tuple(changes), new_flags=new_flags, resolved_flags=resolved, as_of=as_of)
