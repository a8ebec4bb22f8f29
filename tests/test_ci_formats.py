"""SARIF (validated against the official OASIS SARIF 2.1.0 schema shipped in tests/schemas), JUnit XML, the
Markdown summary, several outputs in one run, and `gapcheck diff` in both directions."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from .conftest import EXAMPLES
from .test_cli import run
from .test_gate import AS_OF, repo  # noqa: F401 - the fixture

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json").read_text("utf-8"))
GAPPY = str(EXAMPLES / "gappy-policy.md")
THOROUGH = str(EXAMPLES / "thorough-policy.md")
HOSTILE = ("# Privacy <script>alert(1)</script>\n\nWe | collect **everything** <img src=x onerror=alert(1)>.\n"
           "Control \x0b\x1f characters and a ]]> end marker.\n\nWe do not sell your personal information. "
           "We may sell aggregated data to partners.\n")


def _sarif_errors(log: dict) -> list[str]:
    cls = jsonschema.validators.validator_for(SCHEMA)
    return [f"{list(e.absolute_path)}: {e.message}" for e in cls(SCHEMA).iter_errors(log)]


def test_the_shipped_schema_is_the_oasis_2_1_0_one():
    assert SCHEMA["id"].endswith("/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")
    assert _sarif_errors({"version": "2.0.0", "runs": []})  # the validator does reject


def test_sarif_is_valid_and_has_a_rule_per_requirement(capsys):
    code, out, _ = run([GAPPY, "-f", "sarif", *AS_OF], capsys)
    log = json.loads(out)
    assert code == 1 and _sarif_errors(log) == []
    run_ = log["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    _, j, _ = run([GAPPY, "-f", "json", *AS_OF], capsys)
    findings = json.loads(j)["reports"][0]["findings"]
    req_rules = [r for r in rules if "requirement" in r["properties"]["tags"]]
    assert [r["id"] for r in req_rules] == [f["id"] for f in findings]
    erasure = next(r for r in rules if r["id"] == "gdpr.right_to_erasure")
    assert erasure["properties"]["citation"] == "GDPR Art. 17" and "Art. 17" in erasure["help"]["text"]
    for form in ("text", "markdown"):
        assert "not legal advice" in erasure["help"][form]
        assert "You can ask us to delete the personal data we hold about you" in erasure["help"][form]
    assert next(f for f in findings if f["id"] == "gdpr.right_to_erasure")["model_clause"].startswith(
        "You can ask us to delete the personal data we hold about you")
    gaps = [f for f in findings if f["status"] in ("missing", "partial")]
    results = [r for r in run_["results"] if not r["properties"].get("red_flag")]
    assert [r["ruleId"] for r in results] == [f["id"] for f in gaps]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        region = r["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1
        assert r["partialFingerprints"]["gapcheckFingerprint/v1"] == next(
            f["fingerprint"] for f in findings if f["id"] == r["ruleId"])
    partial = next(r for r in results if r["properties"]["status"] == "partial")
    f = next(f for f in findings if f["id"] == partial["ruleId"])
    assert partial["locations"][0]["physicalLocation"]["region"]["startLine"] == f["evidence"][0]["line"]
    levels = {r["level"] for r in results}
    assert "error" in levels


def test_sarif_missing_requirement_points_at_the_expected_section(tmp_path, capsys):
    p = tmp_path / "p.md"
    p.write_text("# Policy\n\nWe are Example Ltd.\n\n## Your privacy rights\n\nWrite to us.\n", "utf-8")
    _, out, _ = run([str(p), "-r", "gdpr", "-f", "sarif", *AS_OF], capsys)
    results = {r["ruleId"]: r for r in json.loads(out)["runs"][0]["results"]}
    loc = results["gdpr.data_portability"]["locations"][0]
    assert loc["physicalLocation"]["region"]["startLine"] == 5
    assert loc["logicalLocations"][0]["name"] == "Your privacy rights"
    other = results["gdpr.retention"]["locations"][0]["physicalLocation"]["region"]
    assert other["startLine"] == 1  # no section of the expected kind: line 1


def test_sarif_waived_gap_is_a_suppression_and_stale_waiver_a_notification(repo, capsys):  # noqa: F811
    (repo / ".gapcheck-waivers.yaml").write_text(
        "waivers:\n  - id: gdpr.legal_basis\n    reason: Counsel memo 2026-03\n"
        "  - id: gdpr.controller_identity\n    reason: stale\n", "utf-8")
    code, out, err = run(["policies/privacy.md", "-r", "gdpr", "-f", "sarif", *AS_OF], capsys)
    log = json.loads(out)
    assert _sarif_errors(log) == []
    res = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "gdpr.legal_basis")
    assert res["suppressions"] == [{"kind": "external", "status": "accepted", "justification": "Counsel memo 2026-03",
                                    "location": {"physicalLocation": {
                                        "artifactLocation": {"uri": ".gapcheck-waivers.yaml", "uriBaseId": "%SRCROOT%"},
                                        "region": {"startLine": 2}}}}]
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert notes[0]["descriptor"]["id"] == "waiver-stale" and "stale" in err


def test_sarif_and_junit_survive_hostile_text(tmp_path, capsys):
    p = tmp_path / "weird name & <x>.md"
    p.write_text(HOSTILE, "utf-8")
    code, out, err = run([str(p), "-f", "text", "-o", str(tmp_path / "r.sarif"), "-o", str(tmp_path / "r.xml"),
                          "-o", str(tmp_path / "r.md"), *AS_OF], capsys)
    assert code in (0, 1), err
    log = json.loads((tmp_path / "r.sarif").read_text("utf-8"))
    assert _sarif_errors(log) == []
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.startswith("file:///") and "%20%26%20%3Cx%3E.md" in uri
    root = ET.parse(tmp_path / "r.xml").getroot()  # well-formed despite control characters
    assert root.tag == "testsuites"
    md = (tmp_path / "r.md").read_text("utf-8")
    assert "<script>" not in md and "<img" not in md and "&lt;x&gt;" in md


def test_sarif_flags_contradiction_with_related_location(tmp_path, capsys):
    p = tmp_path / "p.md"
    p.write_text(HOSTILE, "utf-8")
    _, out, _ = run([str(p), "-r", "ccpa", "-f", "sarif", *AS_OF], capsys)
    flags = [r for r in json.loads(out)["runs"][0]["results"] if r["properties"].get("red_flag")]
    assert flags and flags[0]["ruleId"] == "ccpa.contradiction.selling"
    assert flags[0]["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] == 6


def test_junit_has_a_testcase_per_requirement_and_failures_for_gaps(capsys):
    code, out, _ = run([GAPPY, "-f", "junit", *AS_OF], capsys)
    root = ET.fromstring(out)
    _, j, _ = run([GAPPY, "-f", "json", *AS_OF], capsys)
    findings = json.loads(j)["reports"][0]["findings"]
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name").split(":")[0] for c in cases] == [f["id"] for f in findings]
    failed = [c.get("name").split(":")[0] for c in cases if c.find("failure") is not None]
    assert failed == [f["id"] for f in findings if f["status"] in ("missing", "partial")]
    skipped = [c.get("name").split(":")[0] for c in cases if c.find("skipped") is not None]
    assert skipped == [f["id"] for f in findings if f["status"] == "not_applicable"]
    assert suite.get("tests") == str(len(findings)) and suite.get("failures") == str(len(failed))
    assert root.get("failures") == str(len(failed))
    blocking = next(c for c in cases if c.get("name").startswith("gdpr.right_of_access"))
    assert "fails the gate" in blocking.find("failure").get("message")
    assert blocking.get("file") == GAPPY and int(blocking.get("line")) >= 1


def test_junit_waived_is_skipped_and_min_score_is_a_testcase(repo, capsys):  # noqa: F811
    (repo / ".gapcheck-waivers.yaml").write_text(
        "waivers:\n  - id: gdpr.legal_basis\n    reason: Counsel memo\n", "utf-8")
    _, out, _ = run(["policies/privacy.md", "-r", "gdpr", "-f", "junit", "--min-score", "gdpr=95", *AS_OF], capsys)
    cases = {c.get("name").split(":")[0]: c for c in ET.fromstring(out).iter("testcase")}
    assert "waived: Counsel memo" in cases["gdpr.legal_basis"].find("skipped").get("message")
    score_case = next(c for n, c in cases.items() if n.startswith("gdpr score"))
    assert score_case.find("failure").get("type") == "score"


def test_markdown_summary_for_a_pull_request(capsys):
    code, out, _ = run([GAPPY, THOROUGH, "-f", "markdown", *AS_OF], capsys)
    assert code == 1
    assert out.startswith("## gapcheck: \u274c gate failed for 1 of 2 policies")
    assert "| Policy | Score | GDPR | CCPA | COPPA |" in out
    assert "**Gaps failing the gate (" in out and "`gdpr.right_of_access`" in out
    assert len(out) < 60_000
    # what to write for each gap: the guidance and the model clause, labelled as not legal advice
    assert "<details><summary>What to write (" in out
    assert "a starting point for counsel, not legal advice" in out
    access = next(line for line in out.splitlines() if line.startswith("- **Right of access** (`gdpr.right_of_access`)"))
    assert "<br>Model clause: \u201cYou have the right to ask us whether we process your personal data" in access


def test_markdown_leaves_out_guidance_rather_than_exceed_a_comment(tmp_path, capsys):
    text = Path(GAPPY).read_text("utf-8")
    paths = []
    for i in range(30):
        (tmp_path / f"p{i:02}.md").write_text(text, "utf-8")
        paths.append(str(tmp_path / f"p{i:02}.md"))
    code, out, _ = run([*paths, "-f", "markdown", *AS_OF], capsys)
    assert code == 1 and len(out) < 65_536
    assert "What to write for each gap, with a model clause, is in the HTML or PDF report" in out


def test_several_outputs_in_one_run_are_consistent(tmp_path, capsys):
    outs = [tmp_path / n for n in ("r.sarif", "junit.xml", "pr.md", "r.json", "r.txt", "r.sarif.json")]
    code, out, _ = run([GAPPY, "-f", "text", *sum((["-o", str(o)] for o in outs), []), *AS_OF], capsys)
    assert code == 1 and all(o.exists() for o in outs)
    assert json.loads(outs[0].read_text("utf-8")) == json.loads(outs[5].read_text("utf-8"))
    assert outs[4].read_text("utf-8").endswith(
        "Gate FAILED (the gate: missing requirements of critical or major severity fail it)\n")
    assert json.loads(outs[3].read_text("utf-8"))["gate"]["passed"] is False


def test_outputs_are_deterministic(tmp_path, capsys):
    for fmt in ("sarif", "junit", "markdown"):
        _, a, _ = run([GAPPY, "-f", fmt, *AS_OF], capsys)
        _, b, _ = run([GAPPY, "-f", fmt, *AS_OF], capsys)
        assert a == b, fmt


# ---------------------------------------------------------------- gapcheck diff


@pytest.fixture()
def versions(tmp_path):
    old = tmp_path / "old.md"
    new = tmp_path / "new.md"
    text = (EXAMPLES / "thorough-policy.md").read_text("utf-8")
    old.write_text(text, "utf-8")
    # the new draft drops the portability section and moves everything down
    lines, kept, skipping = text.splitlines(), [], False
    for line in lines:
        if line.startswith("#"):
            skipping = "portability" in line.lower()
        if not skipping:
            kept.append(line)
    assert len(kept) < len(lines)
    new.write_text("# Draft\n\nIntroduction.\n\n" + "\n".join(kept) + "\n", "utf-8")
    return old, new


def test_diff_reports_a_regression_and_exits_1(versions, capsys):
    old, new = versions
    code, out, _ = run(["diff", str(old), str(new), "-r", "gdpr", *AS_OF], capsys)
    assert code == 1
    assert "Regressions (1)" in out and "gdpr.data_portability" in out and "met \u2192 missing" in out
    assert out.rstrip().endswith("1 for the better") is False and "REGRESSED" in out


def test_diff_in_the_other_direction_is_an_improvement_and_exits_0(versions, capsys):
    old, new = versions
    code, out, _ = run(["diff", str(new), str(old), "-r", "gdpr", *AS_OF], capsys)
    assert code == 0 and "Improvements (1)" in out and "No regression" in out


def test_diff_identical_versions(versions, capsys):
    old, _ = versions
    code, out, _ = run(["diff", str(old), str(old), *AS_OF], capsys)
    assert code == 0 and "No regression; 0 changes" in out


def test_diff_against_a_saved_json_report(versions, tmp_path, capsys):
    old, new = versions
    saved = tmp_path / "published.json"
    run([str(old), "-o", str(saved), *AS_OF], capsys)
    code, out, _ = run(["diff", str(saved), str(new), "-r", "gdpr", "-f", "json", *AS_OF], capsys)
    data = json.loads(out)
    assert code == 1 and data["regressed"] and data["old"]["source"] == "report"
    assert [c["id"] for c in data["changes"] if c["regression"]] == ["gdpr.data_portability"]


def test_diff_evidence_lost_without_status_change(tmp_path, capsys):
    # two request methods are enough (met either way), but the web form the old version offered is gone
    text = ("# Privacy\n\nExample Inc. operates this service. California residents have the right to know, delete "
            "and correct personal information. To make a request, {}.\n")
    old, new = tmp_path / "a.md", tmp_path / "b.md"
    old.write_text(text.format("email privacy@example.com, call us toll-free at 1-800-555-0100, or use the web "
                               "form at example.com/privacy-request"), "utf-8")
    new.write_text(text.format("email privacy@example.com or call us toll-free at 1-800-555-0100"), "utf-8")
    code, out, _ = run(["diff", str(old), str(new), "-r", "ccpa", "-f", "json", *AS_OF], capsys)
    changes = {c["id"]: c for c in json.loads(out)["changes"]}
    c = changes["ccpa.request_methods"]
    assert code == 1 and c["change"] == "evidence_lost" and c["old_status"] == c["new_status"] == "met"
    assert len(c["elements_lost"]) == 1 and "web" in c["elements_lost"][0].lower()
    code, out, _ = run(["diff", str(new), str(old), "-r", "ccpa", "-f", "json", *AS_OF], capsys)
    assert code == 0 and json.loads(out)["changes"][0]["change"] == "evidence_gained"


def test_diff_formats_sarif_junit_markdown(versions, tmp_path, capsys):
    old, new = versions
    code, out, _ = run(["diff", str(old), str(new), "-r", "gdpr", "-f", "markdown", "-o", str(tmp_path / "d.sarif"),
                        "-o", str(tmp_path / "d.xml"), *AS_OF], capsys)
    assert code == 1 and "gapcheck diff: \u274c **regressed**" in out
    log = json.loads((tmp_path / "d.sarif").read_text("utf-8"))
    assert _sarif_errors(log) == [] and [r["ruleId"] for r in log["runs"][0]["results"]] == ["gdpr.data_portability"]
    root = ET.parse(tmp_path / "d.xml").getroot()
    assert root.get("failures") == "1"


def test_diff_errors_exit_2(versions, tmp_path, capsys):
    old, _ = versions
    code, out, err = run(["diff", str(old), str(tmp_path / "missing.md")], capsys)
    assert code == 2 and out == "" and "missing.md" in err and "Traceback" not in err
    code, _, err = run(["diff", str(old), str(old), "-o", str(tmp_path / "d.pdf")], capsys)
    assert code == 2 and "d.pdf" in err


def test_markdown_ends_with_a_blank_line_so_appended_markdown_starts_a_block(capsys):
    _, out, _ = run([GAPPY, "-f", "markdown", *AS_OF], capsys)
    assert out.endswith("</details>\n\n")


def test_diff_refuses_a_json_file_that_is_not_a_gapcheck_report(versions, tmp_path, capsys):
    old, _ = versions
    bogus = tmp_path / "x.json"
    bogus.write_text("{}", "utf-8")
    code, out, err = run(["diff", str(bogus), str(old)], capsys)
    assert code == 2 and "not a JSON report written by gapcheck" in err


def test_diff_with_a_report_of_fewer_regimes_compares_only_what_both_checked(versions, tmp_path, capsys):
    old, new = versions
    saved = tmp_path / "gdpr-only.json"
    run([str(old), "-r", "gdpr", "-o", str(saved), *AS_OF], capsys)
    code, out, _ = run(["diff", str(saved), str(new), "-f", "json", *AS_OF], capsys)
    data = json.loads(out)
    assert [c["id"] for c in data["changes"]] == ["gdpr.data_portability"]
    assert len(data["not_compared"]) == 26 and all(not i.startswith("gdpr.") for i in data["not_compared"])
