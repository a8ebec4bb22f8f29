"""JSON per shared/spec/json-report.md. Deterministic: same input and rules give byte-identical output."""
from __future__ import annotations

import json

from ..model import Result

SCHEMA_VERSION = "1"


def as_dict(result: Result) -> dict:
    from .. import __version__

    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "gapcheck", "version": __version__},
        "rule_packs": [{"regime": p.regime, "version": p.version} for p in result.packs],
        "reports": [r.to_dict() for r in result.reports],
    }


def render(result: Result, **_options) -> str:
    return json.dumps(as_dict(result), ensure_ascii=False, indent=2) + "\n"
