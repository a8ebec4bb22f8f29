"""The CI gate: --fail-on / --fail-severity / --min-score, configuration files and their precedence, waivers
(reason required, globs, expiry, stale), and every exit code."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from checker.model import Finding, Gate, fingerprint

from .conftest import EXAMPLES
from .test_cli import run

GAPPY = str(EXAMPLES / "gappy-policy.md")
THOROUGH = str(EXAMPLES / "thorough-policy.md")
AS_OF = ["--as-of", "2026-11-26"]


@pytest.fixture()
def repo(tmp_path, monkeypatch):
    """A project folder with a policy, as the working folder (so no configuration above it is found)."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "privacy.md").write_text((EXAMPLES / "gappy-policy.md").read_text("utf-8"), "utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _json(out: str) -> dict:
    return json.loads(out)


def _findings(data: dict) -> dict[str, dict]:
    return {f["id"]: f for f in data["reports"][0]["findings"]}


# ---------------------------------------------------------------- the gate itself


def _f(status: str, severity: str, waiver=None) -> Finding:
    return Finding(id="x.y", regime="x", title="t", citation="c", severity=severity, status=status,
                   explanation="", waiver=waiver)


def test_gate_defaults_fail_on_missing_major_or_critical():
    g = Gate()
    assert g.fails(_f("missing", "critical")) and g.fails(_f("missing", "major"))
    assert not g.fails(_f("missing", "minor")) and not g.fails(_f("partial", "critical"))
    assert not g.fails(_f("met", "critical")) and not g.fails(_f("not_applicable", "critical"))


def test_gate_fail_on_partial_and_never_and_severity():
    assert Gate(fail_on="partial").fails(_f("partial", "major"))
    assert not Gate(fail_on="partial").fails(_f("partial", "minor"))
    assert Gate(fail_on="partial", fail_severity="minor").fails(_f("partial", "minor"))
    assert not Gate(fail_on="never").fails(_f("missing", "critical"))
    assert not Gate(fail_severity="critical").fails(_f("missing", "major"))
    assert Gate(fail_severity="critical").fails(_f("missing", "critical"))


def test_min_score_for_regime_overrides_the_general_one():
    g = Gate(min_score=((None, 50.0), ("gdpr", 80.0)))
    assert g.min_score_for("gdpr") == 80.0 and g.min_score_for("ccpa") == 50.0
    assert Gate().min_score_for("gdpr") is None


def test_fingerprint_ignores_lines_and_wording_but_not_document_or_id():
    assert fingerprint("policies/a.md", "gdpr.retention") == fingerprint("./policies/a.md", "gdpr.retention")
    assert fingerprint("policies/a.md", "gdpr.retention") != fingerprint("policies/b.md", "gdpr.retention")
    assert fingerprint("policies/a.md", "gdpr.retention") != fingerprint("policies/a.md", "gdpr.purposes")


def test_fingerprint_is_stable_when_text_moves(tmp_path, capsys):
    text = (EXAMPLES / "gappy-policy.md").read_text("utf-8")
    p = tmp_path / "p.md"
    p.write_text(text, "utf-8")
    _, out1, _ = run([str(p), "-f", "json", *AS_OF], capsys)
    p.write_text("# Preface\n\nA new opening paragraph.\n\n" + text, "utf-8")
    _, out2, _ = run([str(p), "-f", "json", *AS_OF], capsys)
    a, b = _findings(_json(out1)), _findings(_json(out2))
    assert {k: v["fingerprint"] for k, v in a.items()} == {k: v["fingerprint"] for k, v in b.items()}
    lines = [(v["evidence"][0]["line"], b[k]["evidence"][0]["line"]) for k, v in a.items() if v["evidence"]]
    assert lines and all(new == old + 4 for old, new in lines)


# ---------------------------------------------------------------- CLI gate options and exit codes


def test_exit_0_when_the_gate_passes(capsys):
    code, out, _ = run([THOROUGH, *AS_OF], capsys)
    assert code == 0 and "Gate passed" in out


def test_exit_1_when_the_gate_fails(capsys):
    code, out, _ = run([GAPPY, *AS_OF], capsys)
    assert code == 1 and "Gate FAILED" in out


def test_fail_on_never_passes_a_gappy_policy(capsys):
    code, out, _ = run([GAPPY, "--fail-on", "never", *AS_OF], capsys)
    assert code == 0 and "Gate passed" in out


def test_fail_severity_critical_counts_only_critical_gaps(capsys):
    code, out, _ = run([GAPPY, "-r", "gdpr", "--fail-severity", "critical", "-f", "json", *AS_OF], capsys)
    data = _json(out)
    failing = data["reports"][0]["gate"]["failures"]
    assert code == 1 and failing
    sev = {f["id"]: f["severity"] for f in data["reports"][0]["findings"]}
    assert all(sev[g["id"]] == "critical" for g in failing)


def test_fail_on_partial_adds_partial_gaps(capsys):
    _, out_missing, _ = run([GAPPY, "-r", "gdpr", "-f", "json", *AS_OF], capsys)
    _, out_partial, _ = run([GAPPY, "-r", "gdpr", "-f", "json", "--fail-on", "partial", *AS_OF], capsys)
    a = {g["id"] for g in _json(out_missing)["reports"][0]["gate"]["failures"]}
    b = {g["id"] for g in _json(out_partial)["reports"][0]["gate"]["failures"]}
    partial = {f["id"] for f in _json(out_partial)["reports"][0]["findings"]
               if f["status"] == "partial" and f["severity"] in ("critical", "major")}
    assert partial and b == a | partial


def test_min_score_fails_a_passing_policy_and_per_regime(capsys):
    code, out, _ = run([THOROUGH, "--min-score", "100.1", *AS_OF], capsys)
    assert code == 2  # out of range: a usage error
    code, out, _ = run([GAPPY, "--fail-on", "never", "--min-score", "gdpr=90", "-f", "json", *AS_OF], capsys)
    data = _json(out)
    assert code == 1
    assert data["reports"][0]["gate"]["failures"] == [
        {"kind": "score", "id": "gdpr", "message": f"gdpr score {data['reports'][0]['score']['by_regime']['gdpr']:.1f} "
                                                   "is below the minimum 90"}]
    code, _, _ = run([GAPPY, "-r", "gdpr", "--fail-on", "never", "--min-score", "30", *AS_OF], capsys)
    assert code == 0
    code, _, _ = run([GAPPY, "-r", "gdpr,coppa", "--fail-on", "never", "--min-score", "30", *AS_OF], capsys)
    assert code == 1  # the COPPA score is 0 (nothing applies but its general disclosure)


def test_bad_gate_options_exit_2(capsys):
    for args in (["--fail-on", "sometimes"], ["--fail-severity", "huge"], ["--min-score", "abc"],
                 ["--min-score", "gdpr=-3"]):
        code, out, err = run([GAPPY, *args], capsys)
        assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err, args


def test_a_failing_formatter_exits_2_and_writes_nothing(capsys, tmp_path, monkeypatch):
    from checker import formatters

    def broken(result, **_):
        raise RuntimeError("boom")

    monkeypatch.setitem(formatters.FORMATTERS, "sarif", broken)
    target = tmp_path / "r.json"
    code, out, err = run([THOROUGH, "-o", str(target), "-o", str(tmp_path / "r.sarif")], capsys)
    assert code == 2 and "internal error" in err and "boom" in err
    assert not target.exists() and list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- configuration


def test_config_file_found_from_a_subfolder(repo, capsys, monkeypatch):
    (repo / "gapcheck.yaml").write_text("regime: gdpr\nfail_on: never\n", "utf-8")
    (repo / "docs").mkdir()
    monkeypatch.chdir(repo / "docs")
    code, out, _ = run(["../policies/privacy.md", "-f", "json", *AS_OF], capsys)
    data = _json(out)
    assert code == 0 and data["reports"][0]["regimes"] == ["gdpr"] and data["gate"]["fail_on"] == "never"


def test_pyproject_tool_table(repo, capsys):
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.gapcheck]\nregime = ["ccpa"]\n'
                                         'min_score = { ccpa = 99 }\nfail_on = "never"\n', "utf-8")
    code, out, _ = run(["policies/privacy.md", "-f", "json", *AS_OF], capsys)
    data = _json(out)
    assert code == 1 and data["reports"][0]["regimes"] == ["ccpa"] and data["gate"]["min_score"] == {"ccpa": 99.0}


def test_command_line_overrides_the_config(repo, capsys):
    (repo / "gapcheck.yaml").write_text("regime: gdpr\nfail_on: never\n", "utf-8")
    code, out, _ = run(["policies/privacy.md", "-r", "coppa", "--fail-on", "missing", "-f", "json", *AS_OF], capsys)
    data = _json(out)
    assert data["reports"][0]["regimes"] == ["coppa"] and data["gate"]["fail_on"] == "missing"
    code, out, _ = run(["policies/privacy.md", "--no-config", "-f", "json", *AS_OF], capsys)
    assert _json(out)["reports"][0]["regimes"] == ["gdpr", "ccpa", "coppa"] and code == 1


def test_yaml_config_beats_pyproject_in_the_same_folder_and_explicit_config(repo, capsys):
    (repo / "pyproject.toml").write_text('[tool.gapcheck]\nregime = "ccpa"\n', "utf-8")
    (repo / "gapcheck.yaml").write_text("regime: gdpr\n", "utf-8")
    (repo / "other.yaml").write_text("regime: coppa\n", "utf-8")
    _, out, _ = run(["policies/privacy.md", "-f", "json", *AS_OF], capsys)
    assert _json(out)["reports"][0]["regimes"] == ["gdpr"]
    _, out, _ = run(["policies/privacy.md", "--config", "other.yaml", "-f", "json", *AS_OF], capsys)
    assert _json(out)["reports"][0]["regimes"] == ["coppa"]


def test_search_stops_at_the_repository_root(repo, capsys, monkeypatch):
    (repo / "gapcheck.yaml").write_text("regime: gdpr\n", "utf-8")
    inner = repo / "sub"
    (inner / ".git").mkdir(parents=True)
    monkeypatch.chdir(inner)
    _, out, _ = run(["../policies/privacy.md", "-f", "json", *AS_OF], capsys)
    assert _json(out)["reports"][0]["regimes"] == ["gdpr", "ccpa", "coppa"]


@pytest.mark.parametrize("text, where, words", [
    ("fail_on: sometimes\n", "gapcheck.yaml:1", "fail_on"),
    ("regime: gdpr\nfial_on: missing\n", "gapcheck.yaml:2", "unknown key 'fial_on'"),
    ("min_score:\n  gdpr: 120\n", "gapcheck.yaml:2", "min_score.gdpr"),
    ("regime: [gdpr\n", "gapcheck.yaml:", "YAML error"),
])
def test_bad_config_is_an_error_with_file_and_line(repo, capsys, text, where, words):
    (repo / "gapcheck.yaml").write_text(text, "utf-8")
    code, out, err = run(["policies/privacy.md"], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert where in err and words in err and "Traceback" not in err


def test_bad_pyproject_table_names_the_line(repo, capsys):
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.gapcheck]\nregime = "gdpr"\nfail_on = 3\n',
                                         "utf-8")
    code, _, err = run(["policies/privacy.md"], capsys)
    assert code == 2 and "pyproject.toml:6: fail_on" in err


def test_config_rules_and_waivers_paths_are_relative_to_the_config(repo, capsys, monkeypatch):
    (repo / "ci").mkdir()
    (repo / "ci" / "gapcheck.yaml").write_text("regime: gdpr\nwaivers: waivers.yaml\n", "utf-8")
    (repo / "ci" / "waivers.yaml").write_text(
        "waivers:\n  - id: gdpr.legal_basis\n    reason: Counsel accepts the wording\n", "utf-8")
    code, out, _ = run(["policies/privacy.md", "--config", "ci/gapcheck.yaml", "-f", "json", *AS_OF], capsys)
    data = _json(out)
    assert data["waivers"]["file"].endswith("ci/waivers.yaml")
    assert _findings(data)["gdpr.legal_basis"]["waiver"]["reason"] == "Counsel accepts the wording"


# ---------------------------------------------------------------- waivers


def _waivers(repo: Path, body: str, name: str = ".gapcheck-waivers.yaml") -> Path:
    p = repo / name
    p.write_text(textwrap.dedent(body), "utf-8")
    return p


def _gdpr_failures(out: str) -> set[str]:
    return {g["id"] for g in _json(out)["reports"][0]["gate"]["failures"]}


def test_waiving_every_blocking_gap_passes_the_gate(repo, capsys):
    _, out, _ = run(["policies/privacy.md", "-r", "gdpr", "-f", "json", *AS_OF], capsys)
    blocking = sorted(_gdpr_failures(out))
    _waivers(repo, "waivers:\n" + "".join(
        f"  - id: {rid}\n    documents: \"policies/*.md\"\n    reason: accepted for the test\n" for rid in blocking))
    code, out, err = run(["policies/privacy.md", "-r", "gdpr", "-f", "json", *AS_OF], capsys)
    data = _json(out)
    assert code == 0 and data["gate"]["passed"] and err == ""
    f = _findings(data)
    assert all(f[rid]["waiver"]["reason"] == "accepted for the test" for rid in blocking)
    assert all(f[rid]["status"] in ("missing", "partial") for rid in blocking)  # still reported as found
    # scores are not changed by waivers
    _, plain, _ = run(["policies/privacy.md", "-r", "gdpr", "--no-waivers", "-f", "json", *AS_OF], capsys)
    assert _json(plain)["reports"][0]["score"] == data["reports"][0]["score"]


def test_waiver_documents_glob_limits_it(repo, capsys):
    _waivers(repo, """\
        waivers:
          - id: gdpr.legal_basis
            documents: "drafts/**/*.md"
            reason: only for drafts
        """)
    code, out, err = run(["policies/privacy.md", "-r", "gdpr", "-f", "json", *AS_OF], capsys)
    assert _findings(_json(out))["gdpr.legal_basis"]["waiver"] is None
    assert "stale waiver" in err and ".gapcheck-waivers.yaml:2" in err


def test_expired_waiver_counts_the_gap_again_with_a_notice(repo, capsys):
    _waivers(repo, """\
        waivers:
          - id: gdpr.legal_basis
            reason: until the rewrite
            expires: 2026-06-30
            approved_by: J. Doe
        """)
    code, out, _ = run(["policies/privacy.md", "-r", "gdpr", *AS_OF], capsys)
    assert code == 1
    assert "Waiver expired on 2026-06-30" in out and "warning: .gapcheck-waivers.yaml:2" in out
    code, out, _ = run(["policies/privacy.md", "-r", "gdpr", "-f", "json", "--as-of", "2026-06-30"], capsys)
    w = _findings(_json(out))["gdpr.legal_basis"]["waiver"]
    assert w == {"reason": "until the rewrite", "approved_by": "J. Doe", "expires": "2026-06-30", "expired": False,
                 "source": ".gapcheck-waivers.yaml:2"}
    assert "gdpr.legal_basis" not in _gdpr_failures(out)


def test_stale_waiver_for_a_met_requirement(repo, capsys):
    _waivers(repo, "waivers:\n  - id: gdpr.controller_identity\n    reason: no longer needed\n")
    code, out, _ = run(["policies/privacy.md", "-r", "gdpr", *AS_OF], capsys)
    assert "stale waiver: gdpr.controller_identity has no gap to waive" in out
    _, out, _ = run(["policies/privacy.md", "-r", "gdpr", "-f", "json", *AS_OF], capsys)
    assert _json(out)["waivers"]["notices"] == [
        {"kind": "stale", "id": "gdpr.controller_identity", "source": ".gapcheck-waivers.yaml:2",
         "message": "stale waiver: gdpr.controller_identity has no gap to waive; remove the waiver"}]


def test_waiver_for_a_regime_not_checked_is_neither_applied_nor_stale(repo, capsys):
    _waivers(repo, "waivers:\n  - id: ccpa.right_to_correct\n    reason: not in scope\n")
    code, out, err = run(["policies/privacy.md", "-r", "gdpr", "-f", "json", *AS_OF], capsys)
    assert _json(out)["waivers"]["notices"] == [] and err == ""


@pytest.mark.parametrize("body, where, words", [
    ("waivers:\n  - id: gdpr.legal_basis\n", ":2:", "'reason' is a required property"),
    ("waivers:\n  - id: gdpr.legal_basis\n    reason: '  '\n", ":3:", "reason"),
    ("waivers:\n  - id: gdpr.legal_basis\n    reason: ok\n    owner: me\n", ":4:", "unknown key 'owner'"),
    ("waivers:\n  - id: gdpr.legal_basis\n    reason: ok\n    expires: 2027-02-30\n", ":4:", "not a date"),
    ("waivers:\n  - id: gdpr.legal_basis\n    reason: ok\n    expires: soon\n", ":4:", "expires"),
    ("waivers:\n  - id: gdpr.legal_bassis\n    reason: ok\n", ":2:", "did you mean 'gdpr.legal_basis'"),
    ("waivers:\n  - id: gdpr.legal_basis\n    reason: ok\n  - id: gdpr.legal_basis\n    reason: [\n", ":", "YAML error"),
    ("", ":1:", "empty waivers file"),
    ("- id: gdpr.legal_basis\n", ":1:", "expected a mapping (key: value), found a list"),
])
def test_bad_waivers_file_exit_2_with_file_and_line(repo, capsys, body, where, words):
    _waivers(repo, body)
    code, out, err = run(["policies/privacy.md", *AS_OF], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err, err
    assert f".gapcheck-waivers.yaml{where}" in err and words in err, err


def test_explicit_waivers_file_must_exist(repo, capsys):
    code, _, err = run(["policies/privacy.md", "--waivers", "nope.yaml"], capsys)
    assert code == 2 and "nope.yaml: waivers file not found" in err


def test_waivers_are_shown_in_the_text_and_html_reports(repo, capsys):
    _waivers(repo, "waivers:\n  - id: gdpr.legal_basis\n    reason: Counsel <b>memo</b> 2026-03\n"
                   "    approved_by: J. Doe\n")
    code, out, _ = run(["policies/privacy.md", "-r", "gdpr", "-o", "r.html", *AS_OF], capsys)
    assert "(waived)" in out and "Waived: Counsel <b>memo</b> 2026-03. Approved by J. Doe." in out
    html = (repo / "r.html").read_text("utf-8")
    assert "Counsel &lt;b&gt;memo&lt;/b&gt; 2026-03" in html and "<b>memo" not in html
    assert 'class="badge s-waived"' in html and "Approved by J. Doe." in html


@pytest.mark.parametrize("config, args, words", [
    ("regime: gdpr,ccpaa\n", [], "gapcheck.yaml:1: regime: unknown regime 'ccpaa'"),
    ("min_score: {gpdr: 80}\n", [], "gapcheck.yaml:1: min_score: unknown regime 'gpdr'"),
    ("", ["--min-score", "gpdr=80"], "--min-score: unknown regime 'gpdr'"),
])
def test_a_misspelt_regime_is_an_error_not_a_weaker_gate(repo, capsys, config, args, words):
    (repo / "gapcheck.yaml").write_text(config or "fail_on: missing\n", "utf-8")
    code, out, err = run(["policies/privacy.md", *args], capsys)
    assert code == 2 and out == "" and words in err, err


def test_text_report_names_the_gaps_failing_the_gate(capsys):
    code, out, _ = run([GAPPY, "-r", "gdpr", *AS_OF], capsys)
    line = next(l for l in out.splitlines() if l.startswith("failing the gate: "))
    assert "gdpr.legal_basis" in line and "gdpr.right_of_access" in line
