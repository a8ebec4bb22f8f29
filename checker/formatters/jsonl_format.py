"""JSON Lines: one JSON object per policy per line, for batch runs over many policies (the CLI streams it, one
report at a time, so memory stays bounded). Each line carries the schema version, tool, rule packs and check
date, then the report as in the JSON format (document, regimes, score, findings, flags, gate); a policy that
could not be read is a line {"document": {"path": ...}, "error": "..."}. Keys are sorted within the fixed
order, so the same input gives byte-identical lines."""
from __future__ import annotations

import json
from typing import Any

from ..model import Gate, Report, Result


def header(packs, as_of) -> dict[str, Any]:
    from .. import __version__

    return {"schema_version": "1", "tool": {"name": "gapcheck", "version": __version__},
            "rule_packs": [{"regime": p.regime, "version": p.version} for p in packs],
            "check_date": as_of.isoformat() if as_of else None}


def line(item, gate: Gate, head: dict[str, Any]) -> str:
    """One line (with its newline) for a Report or a batch.Failure."""
    if isinstance(item, Report):
        obj = {**head, **item.to_dict(gate)}
    else:
        obj = {**head, "document": {"path": item.path}, "error": item.message}
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"


def render(result: Result, **_options) -> str:
    head = header(result.packs, result.as_of)
    return "".join(line(r, result.gate, head) for r in result.reports) + "".join(
        line(e, result.gate, head) for e in result.errors)
