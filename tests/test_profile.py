"""The organisation profile (--profile): each declared fact decides the requirements that depend on it, turns
a text-inferred condition around, changes the gate, and is cited in the finding; bad profiles are refused with
file:line."""
from __future__ import annotations

import json

import pytest

from .conftest import EXAMPLES
from .test_cli import run

AS_OF = ["--as-of", "2026-11-26"]
GAPPY = str(EXAMPLES / "gappy-policy.md")
EXAMPLES_GAPPY = GAPPY
THOROUGH = str(EXAMPLES / "thorough-policy.md")


def _statuses(capsys, policy, profile=None, regime="all"):
    args = [policy, "-r", regime, "-f", "json", *AS_OF] + (["--profile", str(profile)] if profile else [])
    code, out, err = run(args, capsys)
    assert code in (0, 1), err
    data = json.loads(out)
    return code, {f["id"]: f for f in data["reports"][0]["findings"]}, data


def _profile(tmp_path, **facts):
    p = tmp_path / "profile.yaml"
    p.write_text("organisation: Example Ltd\nfacts:\n" + "".join(
        f"  {k}: {json.dumps(v)}\n" for k, v in facts.items()), "utf-8")
    return p


# (fact, value, requirement ids it decides, status they get with the fact declared the other way)
CASES = [
    ("sells_personal_information", True, ["ccpa.right_to_opt_out", "ccpa.opt_out_signals", "ccpa.minors_opt_in"]),
    ("shares_for_cross_context_advertising", True, ["ccpa.right_to_opt_out", "ccpa.opt_out_signals"]),
    ("has_dpo", True, ["gdpr.dpo_contact"]),
    ("established_in_eu", False, ["gdpr.eu_representative"]),
    ("processes_special_categories", True, ["gdpr.special_categories"]),
    ("relies_on_legitimate_interests", True, ["gdpr.legitimate_interests"]),
    ("obtains_data_from_third_parties", True, ["gdpr.data_source"]),
    ("child_directed", True, ["coppa.collection_practices", "coppa.parental_rights", "coppa.operator_contact"]),
    ("knowingly_collects_from_children", True, ["coppa.collection_practices"]),
    ("offers_financial_incentives", True, ["ccpa.financial_incentive"]),
    ("transfers_outside_eea", False, ["gdpr.international_transfers"]),
    ("uses_automated_decisions", False, ["gdpr.automated_decisions"]),
    ("employees", 12, ["ccpa.shine_the_light"]),
    ("discloses_for_third_party_direct_marketing", False, ["ccpa.shine_the_light"]),
    ("uses_sensitive_pi_beyond_permitted_purposes", False, ["ccpa.sensitive_pi_limit"]),
]


GROUPS = [("sells_personal_information", "shares_for_cross_context_advertising"),
          ("child_directed", "knowingly_collects_from_children")]


@pytest.mark.parametrize("fact, value, ids", CASES, ids=[c[0] for c in CASES])
def test_each_fact_decides_its_requirements(tmp_path, capsys, fact, value, ids):
    """Declared one way the requirement applies (or not), the other way it does not (or does), whatever the
    text of the gappy example says; the finding cites the profile file and line."""
    other = (not value) if isinstance(value, bool) else 25
    # a fact that holds only together with another ("employees>=20 & discloses_..."): declare its partner true
    partner = {"employees": {"discloses_for_third_party_direct_marketing": True},
               "discloses_for_third_party_direct_marketing": {"employees": 50}}.get(fact, {})
    # a condition that any of several facts satisfies is ruled out only when all of them are declared false
    companions = next((g for g in GROUPS if fact in g), (fact,))
    _, base, _ = _statuses(capsys, GAPPY)
    _, one, _ = _statuses(capsys, GAPPY, _profile(tmp_path, **{fact: value}, **partner))
    _, two, _ = _statuses(capsys, GAPPY, _profile(tmp_path, **{f: other for f in companions}, **partner))
    for rid in ids:
        a, b = one[rid], two[rid]
        assert (a["status"] == "not_applicable") != (b["status"] == "not_applicable"), (rid, a["status"], b["status"])
        for f in (a, b):
            if f["status"] == "not_applicable" or f["status"] == "missing":
                assert "organisation profile declares" in f["explanation"] and "profile.yaml:3" in f["explanation"]
                assert fact in f["explanation"] or any(c in f["explanation"] for c in companions)
    assert base != one or base != two  # the profile changed something relative to the text alone


def test_a_declared_fact_turns_the_text_around_and_fails_the_gate(tmp_path, capsys):
    # the thorough example says it does not sell or share: the opt-out does not apply, and the gate passes
    code, base, _ = _statuses(capsys, THOROUGH, regime="ccpa")
    assert code == 0
    code, got, data = _statuses(capsys, THOROUGH, _profile(tmp_path, sells_personal_information=True), regime="ccpa")
    f = got["ccpa.right_to_opt_out"]
    assert f["status"] in ("missing", "partial", "met")
    assert "It applies because the organisation profile declares sells_personal_information: true" in f["explanation"] \
        or f["status"] == "met"
    assert data["profile"] == {"source": str(tmp_path / "profile.yaml"), "organisation": "Example Ltd",
                               "facts": {"sells_personal_information": True}}


def test_declaring_no_dpo_makes_the_gappy_gate_no_worse_and_a_dpo_makes_it_fail(tmp_path, capsys):
    _, _, none = _statuses(capsys, GAPPY, _profile(tmp_path, has_dpo=False), regime="gdpr")
    _, _, dpo = _statuses(capsys, GAPPY, _profile(tmp_path, has_dpo=True), regime="gdpr")
    fail = lambda d: {g["id"] for g in d["reports"][0]["gate"]["failures"]}  # noqa: E731
    assert "gdpr.dpo_contact" in fail(dpo) and "gdpr.dpo_contact" not in fail(none)


def test_undeclared_or_null_facts_leave_the_text_to_decide(tmp_path, capsys):
    _, base, _ = _statuses(capsys, GAPPY)
    p = tmp_path / "profile.yaml"
    p.write_text("facts:\n  has_dpo: null\n  sells_personal_information: ~\n", "utf-8")
    _, got, _ = _statuses(capsys, GAPPY, p)
    assert {k: v["status"] for k, v in got.items()} == {k: v["status"] for k, v in base.items()}


def test_profile_from_the_configuration(tmp_path, capsys, monkeypatch):
    (tmp_path / ".git").mkdir()
    _profile(tmp_path, has_dpo=True)
    (tmp_path / "gapcheck.yaml").write_text("profile: profile.yaml\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run([GAPPY, "-r", "gdpr", "-f", "json", *AS_OF], capsys)
    f = {x["id"]: x for x in json.loads(out)["reports"][0]["findings"]}["gdpr.dpo_contact"]
    assert f["status"] == "missing" and "profile.yaml:3" in f["explanation"]


@pytest.mark.parametrize("body, where, words", [
    ("facts:\n  sells_data: true\n", ":2:", "unknown key 'sells_data'"),
    ("facts:\n  has_dpo: maybe\n", ":2:", "facts.has_dpo"),
    ("facts:\n  employees: -3\n", ":2:", "facts.employees"),
    ("organisation: X\n", ":1:", "'facts' is a required property"),
    ("", ":1:", "empty profile"),
    ("facts:\n  has_dop: true\n", ":2:", "unknown key 'has_dop' (did you mean 'has_dpo'?)"),
    ("facts:\n  has_dpo: no\n", ":2:", "found a string ('no'): write true or false, unquoted"),
    ("facts:\n  employees: 12.5\n", ":2:", "expected a whole number (or nothing), found a number (12.5)"),
    ("facts:\n  has_dpo: [false\n\n  employees: 3\n", ":2:", "(noticed at line 4)"),
])
def test_bad_profile_exit_2_with_file_and_line(tmp_path, capsys, body, where, words):
    p = tmp_path / "profile.yaml"
    p.write_text(body, "utf-8")
    code, out, err = run([GAPPY, "--profile", str(p)], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert f"profile.yaml{where}" in err and words in err, err


def test_a_rule_naming_an_unknown_fact_is_refused(tmp_path, capsys):
    pack = tmp_path / "extra" / "gdpr"
    pack.mkdir(parents=True)
    (pack / "pack.yaml").write_text('regime: gdpr\ntitle: Extra\nversion: "1.0.0"\n', "utf-8")
    (pack / "x.yaml").write_text(
        "requirements:\n  - id: gdpr.x\n    title: X\n    citation: Art. 1\n    severity: minor\n    summary: S.\n"
        "    remediation: R.\n    when:\n      label: it holds\n      facts: [has_a_dpo]\n    elements:\n"
        "      - name: e\n        label: e\n        match: {phrase: x}\n    examples: {match: [], no_match: []}\n",
        "utf-8")
    code, _, err = run([GAPPY, "--rules", str(tmp_path / "extra")], capsys)
    assert code == 2 and "x.yaml:10: unknown profile fact 'has_a_dpo'" in err, err


def test_init_writes_a_config_and_profile_that_work_and_refuses_to_overwrite(tmp_path, capsys, monkeypatch):
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(["init"], capsys)
    assert code == 0 and "wrote gapcheck.yaml" in out and "wrote gapcheck-profile.yaml" in out
    from checker.profile import known_facts

    text = (tmp_path / "gapcheck-profile.yaml").read_text("utf-8")
    assert all(f"  {fact}: null" in text for fact in known_facts())
    code, _, err = run(["init"], capsys)
    assert code == 2 and "gapcheck.yaml: already exists" in err
    # as written, nothing is declared: the same result as without a profile
    code, out, _ = run([GAPPY, "-f", "json", *AS_OF], capsys)
    data = json.loads(out)
    assert data["profile"]["facts"] == {} and code == 1
    # the user declares a fact: the report says it came from the profile
    (tmp_path / "gapcheck-profile.yaml").write_text(text.replace("  has_dpo: null", "  has_dpo: true"), "utf-8")
    code, out, _ = run([GAPPY, "-r", "gdpr", *AS_OF], capsys)
    assert "organisation profile declares has_dpo: true (gapcheck-profile.yaml:" in " ".join(out.split())
    assert "Organisation profile gapcheck-profile.yaml: has_dpo: true" in " ".join(out.split())
    code, _, _ = run(["init", "--force"], capsys)
    assert code == 0


def test_explain_a_requirement_and_a_flag(capsys):
    code, out, _ = run(["explain", "ccpa.right_to_opt_out"], capsys)
    assert code == 0
    assert out.startswith("ccpa.right_to_opt_out (requirement, critical): Right to opt out of sale or sharing")
    for words in ("Citation: Cal. Civ. Code 1798.120", "What the law requires:", "What gapcheck looks for:",
                  "When it applies:", "sells_personal_information", "What a compliant passage states:",
                  "Model clause (illustrative wording written for gapcheck: a starting point for counsel, not legal advice):",
                  "\u201cYou have the right to opt out of the sale or sharing of your personal information.",
                  "right_to_opt_out.yaml:"):
        assert words in " ".join(out.split()), words
    code, out, _ = run(["explain", "ccpa.contradiction.selling"], capsys)
    assert code == 0 and "(red flag, critical)" in out and "Model clause" in out
    code, _, err = run(["explain", "gdpr.dpo_contct"], capsys)
    assert code == 2 and "did you mean 'gdpr.dpo_contact'" in err


def test_a_joint_condition_needs_every_part_and_fails_on_any(tmp_path, capsys):
    """1798.83 binds a business with 20+ employees that discloses for third parties' direct marketing: one part
    declared false rules it out; both true make it apply; one true and one undeclared leaves the text to decide."""
    rid = "ccpa.shine_the_light"
    _, base, _ = _statuses(capsys, GAPPY, regime="ccpa")
    for facts, expect in ((dict(employees=50, discloses_for_third_party_direct_marketing=False), "not_applicable"),
                          (dict(employees=5, discloses_for_third_party_direct_marketing=True), "not_applicable"),
                          (dict(employees=50, discloses_for_third_party_direct_marketing=True), "missing"),
                          (dict(employees=50), base[rid]["status"])):
        _, got, _ = _statuses(capsys, GAPPY, _profile(tmp_path, **facts), regime="ccpa")
        assert got[rid]["status"] == expect, (facts, got[rid]["explanation"])
    assert "employees: 50 (at least 20) and discloses_for_third_party_direct_marketing: true" in got[rid]["explanation"] \
        or len(facts) == 1


def test_the_report_says_when_the_policy_text_contradicts_the_profile(tmp_path, capsys):
    policy = tmp_path / "p.md"
    policy.write_text(
        "# Privacy notice\n\nAcme GmbH, Hauptstrasse 1, Berlin, is the controller.\n\n"
        "We have not appointed a data protection officer because the law does not require us to.\n\n"
        "We keep server logs on the basis of our legitimate interest in securing the service (Art. 6(1)(f) GDPR).\n\n"
        "We transfer data to our hosting provider in the United States under the Standard Contractual Clauses.\n",
        "utf-8")
    profile = _profile(tmp_path, has_dpo=True, relies_on_legitimate_interests=False, transfers_outside_eea=True)
    _, got, _ = _statuses(capsys, str(policy), profile, regime="gdpr")
    dpo, li, tr = got["gdpr.dpo_contact"], got["gdpr.legitimate_interests"], got["gdpr.international_transfers"]
    assert dpo["status"] == "missing"
    assert "The policy itself rules this out (line 5: \u201cWe have not appointed a data protection officer" \
        in dpo["explanation"] and "that statement is wrong and should be corrected" in dpo["explanation"]
    assert li["status"] == "not_applicable"
    assert "Yet the policy indicates that processing relies on legitimate interests" in li["explanation"]
    # a met requirement the profile made applicable says so (the text agreeing is not worth a sentence)
    assert tr["status"] == "met"
    assert "It applies because the organisation profile declares transfers_outside_eea: true" in tr["explanation"]
    # no disagreement: nothing is said
    _, plain, _ = _statuses(capsys, str(policy), _profile(tmp_path, has_dpo=False), regime="gdpr")
    assert "rules this out" not in plain["gdpr.dpo_contact"]["explanation"]


def test_a_condition_the_facts_decide_only_in_part_reports_no_disagreement(tmp_path, capsys):
    """The minors' opt-in turns on selling (a fact) and on consumers under 16 (text only): a policy saying it
    has no users under 16 does not contradict "sells_personal_information: true"."""
    policy = tmp_path / "p.md"
    policy.write_text("# Privacy\n\nExample Inc. runs this site.\n\n"
                      "We do not knowingly collect personal information from anyone under 16.\n", "utf-8")
    _, got, _ = _statuses(capsys, str(policy), _profile(tmp_path, sells_personal_information=True), regime="ccpa")
    assert "rules this out" not in got["ccpa.minors_opt_in"]["explanation"]


def test_an_online_only_business_needs_only_an_email_address(tmp_path, capsys):
    """1798.130(a)(1)(A): with online_only_direct_relationship declared, an e-mail address alone meets the
    request-methods requirement, and another method alone does not."""
    email = tmp_path / "email.md"
    email.write_text("# Privacy\n\n## Your California rights\n\nTo make a request to know or delete, email "
                     "privacy@example.com.\n", "utf-8")
    form = tmp_path / "form.md"
    form.write_text("# Privacy\n\n## Your California rights\n\nTo make a request to know or delete, use our web "
                    "form at example.com/privacy-request.\n", "utf-8")
    online = _profile(tmp_path, online_only_direct_relationship=True)
    rid = "ccpa.request_methods"
    assert _statuses(capsys, str(email), regime="ccpa")[1][rid]["status"] == "partial"
    got = _statuses(capsys, str(email), online, regime="ccpa")[1][rid]
    assert got["status"] == "met"
    assert "Only an e-mail address for requests is needed because the organisation profile declares " \
        "online_only_direct_relationship: true" in got["explanation"]
    assert _statuses(capsys, str(form), online, regime="ccpa")[1][rid]["status"] == "partial"
    offline = _profile(tmp_path, online_only_direct_relationship=False)
    assert _statuses(capsys, str(email), offline, regime="ccpa")[1][rid]["status"] == "partial"


def test_relaxed_when_must_name_known_elements(tmp_path, capsys):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "pack.yaml").write_text("regime: ccpa\ntitle: T\nversion: 1.0.0\n")
    (tmp_path / "p" / "r.yaml").write_text(
        "requirements:\n  - id: ccpa.x\n    title: X\n    citation: C\n    severity: minor\n    summary: S\n"
        "    min_elements: 2\n    relaxed_when: {facts: [online_only_direct_relationship], require: [fax], label: L}\n"
        "    elements:\n      - {name: a, label: A, match: {terms: [alpha]}}\n      - {name: b, label: B, match: {terms: [beta]}}\n"
        "    remediation: R\n    examples: {match: [alpha beta], no_match: [gamma]}\n", "utf-8")
    code, _, err = run([EXAMPLES_GAPPY, "--rules", str(tmp_path / "p"), "-r", "ccpa"], capsys)
    assert code == 2 and "r.yaml:8: relaxed_when requires unknown element 'fax'" in err


def test_a_bad_profile_named_by_the_configuration_names_the_configuration_line(tmp_path, capsys, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "gapcheck.yaml").write_text("regime: gdpr\nprofile: missing-profile.yaml\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    code, _, err = run([GAPPY, "-f", "json", *AS_OF], capsys)
    assert code == 2 and "gapcheck.yaml:2: profile: missing-profile.yaml: profile file not found" in err
