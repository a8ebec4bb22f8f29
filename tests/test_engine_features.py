"""Engine features beyond presence: dates and freshness (--as-of), counted elements (min_elements),
conditions that explain why they apply, and flags (risky passages, contradictions)."""
from __future__ import annotations

from datetime import date

import pytest
import yaml

import checker
from checker.dates import months_before, parse_date

from test_matcher import read, requirement, write_pack


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize("text, expected", [
    ("March 3, 2026", date(2026, 3, 3)),
    ("Mar. 3rd 2026", date(2026, 3, 3)),
    ("September, 7th 2020", date(2020, 9, 7)),
    ("3 March 2026", date(2026, 3, 3)),
    ("3rd of March, 2026", date(2026, 3, 3)),
    ("Fri 19 Aug 2022"[4:], date(2022, 8, 19)),
    ("2026-03-03", date(2026, 3, 3)),
    ("03/04/2026", date(2026, 3, 4)),   # slashes: month first (US)
    ("25/03/2026", date(2026, 3, 25)),  # ... unless the first number cannot be a month
    ("06.03.2023", date(2023, 3, 6)),   # dots: day first
    ("1/1/23", date(2023, 1, 1)),
    ("March 2026", date(2026, 3, 31)),  # a month alone: its last day
    ("March,2023", date(2023, 3, 31)),
])
def test_parse_date_reads_the_usual_forms(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["February 30, 2024", "13/13/2020", "2026-13-01", "March", "1798.100", "12 months"])
def test_parse_date_refuses_what_is_not_a_date(text):
    assert parse_date(text) is None


def test_months_before_clamps_to_the_end_of_the_month():
    assert months_before(date(2026, 5, 31), 1) == date(2026, 4, 30)
    assert months_before(date(2026, 11, 26), 12) == date(2025, 11, 26)
    assert months_before(date(2026, 1, 15), 13) == date(2024, 12, 15)


UPDATED = requirement(
    "updated",
    [
        {"name": "date", "label": "a recent last-updated date", "max_age_months": 12,
         "match": {"all": [{"date": True}, {"terms": ["last updated", "effective"]}]}},
        {"name": "changes", "label": "that the policy changes", "required": False, "match": "we may change this policy"},
    ],
)


def _finding(packs, text, as_of):
    return checker.check_document(read(text), packs, as_of=as_of).findings[0]


def test_a_recent_date_is_met(tmp_path):
    packs = write_pack(tmp_path, [UPDATED])
    f = _finding(packs, "Last updated: 1 March 2026\n", date(2026, 11, 26))
    assert f.status == "met"
    assert f.elements == (("date", True), ("changes", False))


def test_a_date_exactly_twelve_months_old_is_still_recent(tmp_path):
    packs = write_pack(tmp_path, [UPDATED])
    assert _finding(packs, "Last updated: 26 November 2025\n", date(2026, 11, 26)).status == "met"
    assert _finding(packs, "Last updated: 25 November 2025\n", date(2026, 11, 26)).status == "partial"


def test_an_old_date_is_partial_and_says_why(tmp_path):
    packs = write_pack(tmp_path, [UPDATED])
    f = _finding(packs, "# Policy\n\nLast updated: May 1, 2023\n", date(2026, 11, 26))
    assert f.status == "partial"
    assert f.elements == (("date", False), ("changes", False))
    assert [e.quote for e in f.evidence] == ["Last updated: May 1, 2023"]
    assert f.explanation == (
        "The policy does not state a recent last-updated date. The most recent date the policy gives, "
        "1 May 2023 (line 3), is more than 12 months before the check date (26 November 2026).")


def test_a_date_after_the_check_date_is_partial(tmp_path):
    packs = write_pack(tmp_path, [UPDATED])
    f = _finding(packs, "Effective 1 January 2027\n", date(2026, 11, 26))
    assert f.status == "partial"
    assert "later than the check date (26 November 2026)" in f.explanation


def test_the_most_recent_of_several_dates_counts(tmp_path):
    packs = write_pack(tmp_path, [UPDATED])
    text = "Effective 1 January 2020.\n\nLast updated: 2 February 2026.\n"
    f = _finding(packs, text, date(2026, 11, 26))
    assert f.status == "met"
    assert [e.line for e in f.evidence] == [3]


def test_the_check_date_defaults_to_today(tmp_path):
    packs = write_pack(tmp_path, [UPDATED])
    today = date.today()
    text = f"Last updated: {today.isoformat()}\n"
    assert checker.check_document(read(text), packs).findings[0].status == "met"


def test_a_date_leaf_only_matches_real_dates():
    from test_matcher import matches

    text = "Updated on 2024-02-30. Updated on 2024-02-29. Version 1.2.3 of the app."
    assert matches({"date": True}, text) == ["Updated on 2024-02-29."]


# ---------------------------------------------------------------- counted elements


METHODS = requirement(
    "methods",
    [
        {"name": "email", "label": "an e-mail address", "match": {"regex": r"\S+@\S+"}},
        {"name": "phone", "label": "a phone number", "match": "call us"},
        {"name": "form", "label": "a web form", "match": "web form"},
    ],
    min_elements=2,
    expected_in="Usually under Contact us.",
)


def test_min_elements_met_with_any_two(tmp_path):
    packs = write_pack(tmp_path, [METHODS])
    f = checker.check_document(read("Call us or use our web form.\n"), packs).findings[0]
    assert f.status == "met"
    assert f.elements == (("email", False), ("phone", True), ("form", True))
    assert f.explanation == "The policy states a phone number (line 1) and a web form (line 1)."


def test_min_elements_partial_with_one(tmp_path):
    packs = write_pack(tmp_path, [METHODS])
    f = checker.check_document(read("Write to privacy@example.com.\n"), packs).findings[0]
    assert f.status == "partial"
    assert f.explanation == ("The policy states an e-mail address (line 1); 2 or more are needed, for example "
                             "a phone number or a web form.")


def test_min_elements_missing_names_every_option(tmp_path):
    packs = write_pack(tmp_path, [METHODS])
    f = checker.check_document(read("Nothing here.\n"), packs).findings[0]
    assert f.status == "missing"
    assert f.explanation == ("Nothing in the policy states any of an e-mail address, a phone number or a web form. "
                             "Usually under Contact us.")


def test_min_elements_above_the_number_of_elements_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad = dict(METHODS, min_elements=4)
    with pytest.raises(checker.GapcheckError, match=r"acme/rules.yaml:\d+: min_elements is more than the 3 elements"):
        write_pack(tmp_path, [bad])


# ---------------------------------------------------------------- conditions say why they apply


OPT_OUT = requirement(
    "optout",
    [{"name": "optout", "label": "an opt-out", "match": "opt out"}],
    when={"label": "personal data is sold", "unless": {"phrase": "we do not sell"},
          "match": {"phrase": "we sell"}, "if_silent": "applies"},
)


def test_condition_shown_is_cited_when_something_is_missing(tmp_path):
    packs = write_pack(tmp_path, [OPT_OUT])
    f = checker.check_document(read("# P\n\nWe sell personal data to brokers.\n"), packs).findings[0]
    assert f.status == "missing"
    assert f.explanation.endswith("It applies because the policy indicates that personal data is sold "
                                  "(line 3: \u201cWe sell personal data to brokers.\u201d).")


def test_condition_silent_applies_and_says_so(tmp_path):
    packs = write_pack(tmp_path, [OPT_OUT])
    f = checker.check_document(read("We collect data.\n"), packs).findings[0]
    assert f.status == "missing"
    assert f.explanation.endswith("It applies because nothing in the policy rules out that personal data is sold.")


def test_condition_ruled_out_is_not_applicable(tmp_path):
    packs = write_pack(tmp_path, [OPT_OUT])
    f = checker.check_document(read("We do not sell data.\n"), packs).findings[0]
    assert f.status == "not_applicable"


def test_met_conditional_findings_do_not_repeat_the_condition(tmp_path):
    packs = write_pack(tmp_path, [OPT_OUT])
    f = checker.check_document(read("We sell data. You can opt out.\n"), packs).findings[0]
    assert f.status == "met"
    assert "applies" not in f.explanation


# ---------------------------------------------------------------- flags


def write_flags(tmp_path, flags: list[dict]):
    d = tmp_path / "acme"
    d.mkdir(exist_ok=True)
    (d / "pack.yaml").write_text('regime: acme\ntitle: Acme\nversion: "1.0.0"\n', encoding="utf-8")
    (d / "flags.yaml").write_text(yaml.safe_dump({"flags": flags}, sort_keys=False), encoding="utf-8")
    return checker.load_packs([tmp_path], ["acme"])


def flag(fid: str, **body) -> dict:
    return {"id": f"acme.{fid}", "title": fid, "citation": "Art. 5", "severity": "major",
            "summary": "Why it matters.", "remediation": "Fix it.",
            "examples": {"match": [], "no_match": []}, **body}


CONTRA = flag("contra", contradiction=[
    {"label": "a denial", "match": {"phrase": "we do not sell"}},
    {"label": "an admission", "match": {"all": ["we sell", {"not": "not"}]}},
])
PASSAGE = flag("anything", match={"phrase": "for any purpose"})


def test_contradiction_quotes_both_statements(tmp_path):
    packs = write_flags(tmp_path, [CONTRA])
    report = checker.check_document(read("# P\n\nWe do not sell data.\n\nWe sell lists to brokers.\n"), packs)
    assert report.findings == ()
    [raised] = report.flags
    assert raised.id == "acme.contra"
    assert [(e.line, e.quote, e.element) for e in raised.evidence] == [
        (3, "We do not sell data.", "first"), (5, "We sell lists to brokers.", "second")]
    assert raised.explanation == "The policy gives a denial (line 3) and also an admission (line 5). Why it matters."


def test_contradiction_needs_both_sides(tmp_path):
    packs = write_flags(tmp_path, [CONTRA])
    assert checker.check_document(read("We do not sell data.\n"), packs).flags == ()
    assert checker.check_document(read("We sell lists.\n"), packs).flags == ()


def test_passage_flag_quotes_at_most_three_and_counts_the_rest(tmp_path):
    packs = write_flags(tmp_path, [PASSAGE])
    text = "".join(f"Rule {i}: we use data for any purpose.\n\n" for i in range(5))
    [raised] = checker.check_document(read(text), packs).flags
    assert len(raised.evidence) == 3
    assert raised.explanation == "Why it matters. (lines 1, 3, 5 and 2 more.)"


def test_flags_are_in_the_json_report(tmp_path):
    from checker.formatters import render

    packs = write_flags(tmp_path, [CONTRA])
    doc = tmp_path / "p.md"
    doc.write_text("We do not sell data.\n\nWe sell lists.\n", encoding="utf-8")
    result = checker.check([doc], packs=packs)
    out = render("json", result)
    assert '"flags": [' in out and '"acme.contra"' in out
    text = render("text", result)
    assert "Red flags (1)" in text and "acme.contra" in text


def test_flag_examples_run_in_rule_tests(tmp_path):
    from checker.ruletest import run

    good = dict(CONTRA, examples={"match": ["We do not sell data. We sell lists."], "no_match": ["We do not sell data."]})
    packs = write_flags(tmp_path, [good])
    tallies = run(packs)
    assert (tallies["acme.contra"].tp, tallies["acme.contra"].tn, tallies["acme.contra"].failures) == (1, 1, [])
    bad = dict(CONTRA, examples={"match": ["We do not sell data."], "no_match": []})
    packs = write_flags(tmp_path, [bad])
    assert len(run(packs)["acme.contra"].failures) == 1


def test_a_flag_id_must_belong_to_its_regime(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(checker.GapcheckError, match=r"acme/flags.yaml:\d+: id 'other.x' must start with 'acme.'"):
        write_flags(tmp_path, [dict(PASSAGE, id="other.x")])


def test_a_flag_needs_match_or_contradiction(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(checker.GapcheckError, match=r"acme/flags.yaml:\d+"):
        write_flags(tmp_path, [flag("empty")])


def test_a_check_leaves_the_garbage_collector_as_it_found_it(packs):
    import gc

    from checker.api import check_text

    was = gc.isenabled()
    try:
        for state in (True, False):
            gc.enable() if state else gc.disable()
            check_text("# Policy\n\nWe keep your data for 30 days.\n", "p.md", packs=packs)
            assert gc.isenabled() is state
    finally:
        gc.enable() if was else gc.disable()
