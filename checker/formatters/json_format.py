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
        "gate": {"fail_on": result.gate.fail_on, "fail_severity": result.gate.fail_severity,
                 "min_score": {name or "*": value for name, value in result.gate.min_score},
                 "passed": result.passed()},
        "waivers": {"file": result.waiver_file, "notices": [n.to_dict() for n in result.waiver_notices]},
        "profile": result.profile.to_dict() if result.profile is not None else None,
        "config": result.config,
        "reports": [r.to_dict(result.gate) for r in result.reports],
        "errors": [e.to_dict() for e in result.errors],
    }


def render(result: Result, **_options) -> str:
    return json.dumps(as_dict(result), ensure_ascii=False, indent=2) + "\n"
