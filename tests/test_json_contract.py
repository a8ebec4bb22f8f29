"""The JSON report contract (shared/spec/json-report.md): fields, order, exact quotes, determinism, golden file."""
from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

import checker
from checker.formatters import render

from .conftest import EXAMPLES, ROOT

GOLDEN = Path(__file__).parent / "golden"
STATUSES = {"met", "partial", "missing", "not_applicable"}


@pytest.fixture
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def _json(paths, **kw):
    return render("json", checker.check(paths, **kw))


@pytest.mark.parametrize("name", ["thorough-policy.md", "gappy-policy.md"])
def test_contract_fields_and_quotes(name, at_root):
    path = f"examples/{name}"
    data = json.loads(_json([path]))
    assert data["schema_version"] == "1"
    assert data["tool"] == {"name": "gapcheck", "version": checker.__version__}
    assert [p["regime"] for p in data["rule_packs"]] == ["gdpr", "ccpa", "coppa"]
    (report,) = data["reports"]
    raw = (ROOT / path).read_bytes()
    text = raw.decode("utf-8")
    import hashlib

    assert report["document"] == {"path": path, "sha256": hashlib.sha256(raw).hexdigest(),
                                  "words": len(text.split()), "format": "markdown", "encoding": "utf-8"}
    packs = checker.load_packs()
    assert [f["id"] for f in report["findings"]] == [r.id for p in packs for r in p.requirements]
    for f in report["findings"]:
        assert set(f) >= {"id", "regime", "title", "citation", "severity", "status", "explanation", "evidence"}
        assert f["status"] in STATUSES and f["severity"] in {"critical", "major", "minor"}
        assert f["explanation"]
        if f["status"] == "missing":
            assert f["evidence"] == []
        for ev in f["evidence"]:
            assert text[ev["start"]:ev["end"]] == ev["quote"]
            assert ev["line"] == text.count("\n", 0, ev["start"]) + 1
            for s, e in ev["highlights"]:
                assert ev["start"] <= s < e <= ev["end"]
    by_regime = report["score"]["by_regime"]
    assert list(by_regime) == ["gdpr", "ccpa", "coppa"]
    assert all(v is None or 0 <= v <= 100 for v in by_regime.values())


def test_byte_identical_across_runs(at_root):
    paths = ["examples/thorough-policy.md", "examples/gappy-policy.md"]
    assert _json(paths) == _json(paths)


def test_quotes_exact_with_crlf_bom_and_typographic_text(tmp_path):
    p = tmp_path / "policy.md"
    body = ("\ufeff# Your rights\r\n\r\nYou\u2019re entitled to ask us to erase your personal\u00a0data.\r\n\r\n"
            "## Children\r\n\r\nWe do not knowingly collect data from children under 13.\r\n")
    p.write_bytes(body.encode("utf-8"))
    data = json.loads(_json([str(p)]))
    text = body[1:]  # offsets are into the decoded text, BOM removed
    statuses = {f["id"]: f for f in data["reports"][0]["findings"]}
    assert statuses["gdpr.right_to_erasure"]["status"] == "met"
    ev = statuses["gdpr.right_to_erasure"]["evidence"][0]
    assert text[ev["start"]:ev["end"]] == ev["quote"] and ev["line"] == 3 and ev["section"] == "Your rights"
    ev = statuses["coppa.minimum_age"]["evidence"][0]
    assert ev["line"] == 7 and ev["section"] == "Children"


GOLDEN_AS_OF = date(2026, 11, 26)  # a fixed check date: 'last updated' findings depend on it


def test_golden_gappy_report(at_root):
    out = _json(["examples/gappy-policy.md"], as_of=GOLDEN_AS_OF)
    golden = GOLDEN / "gappy-policy.json"
    if os.environ.get("GAPCHECK_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(out, encoding="utf-8")
    assert out == golden.read_text(encoding="utf-8"), "run with GAPCHECK_UPDATE_GOLDEN=1 after an intended change"


def test_golden_text_report(at_root):
    result = checker.check(["examples/gappy-policy.md"], as_of=GOLDEN_AS_OF)
    out = render("text", result, width=100, colour=False, unicode=True)
    golden = GOLDEN / "gappy-policy.txt"
    if os.environ.get("GAPCHECK_UPDATE_GOLDEN"):
        golden.write_text(out, encoding="utf-8")
    assert out == golden.read_text(encoding="utf-8"), "run with GAPCHECK_UPDATE_GOLDEN=1 after an intended change"


def test_text_report_narrow_and_ascii(at_root):
    result = checker.check(["examples/gappy-policy.md"])
    out = render("text", result, width=40, colour=False, unicode=False)
    assert max(len(line) for line in out.splitlines()) <= 40
    assert all(ord(ch) < 128 for ch in out)
    coloured = render("text", result, width=80, colour=True)
    assert "\x1b[31m" in coloured
