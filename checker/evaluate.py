"""Accuracy against a labelled corpus (the ../shared/corpus format), at policy level.

Binary view: a label of met/partial means the policy addresses the requirement; missing means it does not.
gapcheck says the policy does not address it when it reports `missing`, or `not_applicable` (a conditional
requirement whose condition the text does not show: the text is silent, as the label says). Per requirement
id we count accuracy and the precision/recall of these "not addressed" calls; the exact three-way agreement
(not_applicable agreeing with missing) is shown too.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from .api import check_document, read_document
from .model import GapcheckError, RaisedFlag
from .packs import Pack
from .yamlfile import load_yaml


@dataclass
class Disagreement:
    policy: str
    id: str
    label: str
    status: str
    label_quote: str
    explanation: str
    evidence: str


def not_addressed(status: str) -> bool:
    return status in ("missing", "not_applicable")


@dataclass
class IdStats:
    n: int = 0
    correct: int = 0
    exact: int = 0
    tp: int = 0  # flagged missing, labelled missing
    fp: int = 0  # flagged missing, labelled met/partial
    fn: int = 0  # not flagged, labelled missing
    tn: int = 0

    def add(self, label: str, status: str) -> None:
        gold_gap = label == "missing"
        flagged = not_addressed(status)
        self.n += 1
        self.correct += gold_gap == flagged
        self.exact += label == ("missing" if status == "not_applicable" else status)
        if flagged and gold_gap:
            self.tp += 1
        elif flagged:
            self.fp += 1
        elif gold_gap:
            self.fn += 1
        else:
            self.tn += 1

    def merge(self, other: "IdStats") -> None:
        for f in ("n", "correct", "exact", "tp", "fp", "fn", "tn"):
            setattr(self, f, getattr(self, f) + getattr(other, f))

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.n if self.n else None

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


@dataclass
class Evaluation:
    corpus: str
    policies: int
    by_id: dict[str, IdStats]
    disagreements: list[Disagreement] = field(default_factory=list)
    skipped_ids: list[str] = field(default_factory=list)
    raised: list[tuple[str, RaisedFlag]] = field(default_factory=list)  # (policy, red flag) for every policy checked

    @property
    def overall(self) -> IdStats:
        total = IdStats()
        for s in self.by_id.values():
            total.merge(s)
        return total


def evaluate(labels_path: str | Path, policy_dir: str | Path, packs: Sequence[Pack],
             ids: Iterable[str] | None = None) -> Evaluation:
    labels_path, policy_dir = Path(labels_path), Path(policy_dir)
    data, _ = load_yaml(labels_path, str(labels_path))
    if not isinstance(data, dict) or not isinstance(data.get("policies"), dict):
        raise GapcheckError(f"{labels_path}: expected a mapping 'policies: {{file: {{id: {{label, quote}}}}}}'")
    checked = {r.id for p in packs for r in p.requirements}
    wanted = set(ids) if ids else None
    by_id: dict[str, IdStats] = {}
    disagreements: list[Disagreement] = []
    skipped: set[str] = set()
    raised: list[tuple[str, RaisedFlag]] = []
    for name in sorted(data["policies"]):
        labels = data["policies"][name]
        path = policy_dir / name
        if not path.is_file():
            raise GapcheckError(f"{labels_path}: labelled policy '{name}' not found in {policy_dir}")
        report = check_document(read_document(str(path)), packs)
        findings = {f.id: f for f in report.findings}
        raised.extend((name, fl) for fl in report.flags)
        for rid in sorted(labels):
            if wanted is not None and rid not in wanted:
                continue
            if rid not in checked:
                skipped.add(rid)
                continue
            entry = labels[rid]
            label, f = entry["label"], findings[rid]
            by_id.setdefault(rid, IdStats()).add(label, f.status)
            if (label == "missing") != not_addressed(f.status):
                disagreements.append(Disagreement(
                    name, rid, label, f.status, str(entry.get("quote", "")), f.explanation,
                    f.evidence[0].quote if f.evidence else "",
                ))
    ordered = {rid: by_id[rid] for rid in [r.id for p in packs for r in p.requirements] if rid in by_id}
    return Evaluation(str(labels_path), len(data["policies"]), ordered, disagreements, sorted(skipped), raised)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def table_rows(ev: Evaluation) -> list[list[str]]:
    rows = []
    for rid, s in list(ev.by_id.items()) + [("overall", ev.overall)]:
        rows.append([rid, str(s.n), _pct(s.accuracy), _pct(s.exact / s.n if s.n else None),
                     str(s.tp), str(s.fp), str(s.fn), _pct(s.precision), _pct(s.recall)])
    return rows


HEADER = ["requirement", "n", "accuracy", "exact", "gap✓", "false gap", "missed gap", "gap precision", "gap recall"]


def render_text(ev: Evaluation, show_errors: bool = False) -> str:
    rows = [HEADER] + table_rows(ev)
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    out = [f"{ev.corpus}: {ev.policies} policies"]
    for k, r in enumerate(rows):
        out.append("  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r)))
        if k == 0:
            out.append("  ".join("-" * w for w in widths))
    if ev.skipped_ids:
        out.append(f"not checked (no rule yet): {', '.join(ev.skipped_ids)}")
    if show_errors and ev.disagreements:
        out.append("")
        out.append("disagreements (label -> gapcheck):")
        for d in ev.disagreements:
            out.append(f"  {d.policy}  {d.id}: {d.label} -> {d.status}")
            out.append(f"      label quote: {' '.join(d.label_quote.split())[:200]}")
            if d.evidence:
                out.append(f"      evidence:    {' '.join(d.evidence.split())[:200]}")
            else:
                out.append(f"      gapcheck:    {d.explanation[:200]}")
    return "\n".join(out) + "\n"


def render_markdown(ev: Evaluation) -> str:
    out = [f"| {' | '.join(HEADER)} |", "|" + "---|" * len(HEADER)]
    for r in table_rows(ev):
        out.append(f"| {' | '.join(r)} |")
    return "\n".join(out) + "\n"


def as_dict(ev: Evaluation) -> dict:
    def stats(s: IdStats) -> dict:
        return {"n": s.n, "accuracy": s.accuracy, "exact": s.exact / s.n if s.n else None, "tp": s.tp,
                "fp": s.fp, "fn": s.fn, "tn": s.tn, "precision_missing": s.precision, "recall_missing": s.recall}

    return {
        "corpus": ev.corpus,
        "policies": ev.policies,
        "by_id": {rid: stats(s) for rid, s in ev.by_id.items()},
        "overall": stats(ev.overall),
        "disagreements": [d.__dict__ for d in ev.disagreements],
        "not_checked": ev.skipped_ids,
    }
