"""Readability (GDPR Art. 12(1)): reading ease per section, very long sentences, hedged wording; informational."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.api import check_text, read_document
from checker.readability import LONG_SENTENCE, _hedges, ease_band, measure, syllables, word_count
from tests.test_cli import run

AS_OF = __import__("datetime").date(2026, 11, 26)


def _doc(text: str):
    return read_document("p.md", data=text.encode("utf-8"))


@pytest.mark.parametrize("word, count", [
    ("we", 1), ("data", 2), ("privacy", 3), ("policy", 3), ("information", 4), ("personal", 3), ("collect", 2),
    ("processing", 3), ("controller", 3), ("use", 1), ("shared", 1), ("services", 3), ("rights", 1),
    ("automatically", 6), ("GDPR", 1), ("2026", 1), ("purposes", 3), ("addresses", 3), ("phones", 1),
    ("cookies", 2), ("matches", 2),
])
def test_syllables_estimate_common_policy_words(word, count):
    assert syllables(word) == count


def test_reading_ease_follows_the_flesch_formula():
    text = "# Notice\n\n" + " ".join(["We keep your data safe."] * 6) + " " + " ".join(
        ["You can ask us to delete it."] * 6) + "\n"
    r = measure(_doc(text))
    words, sentences = 5 * 6 + 7 * 6, 12
    syl = 6 * (1 + 1 + 1 + 2 + 1) + 6 * (1 + 1 + 1 + 1 + 1 + 2 + 1)
    assert (r.words, r.sentences) == (words, sentences)
    assert r.reading_ease == round(206.835 - 1.015 * words / sentences - 84.6 * syl / words, 1)
    assert r.band == ease_band(r.reading_ease) == "very easy"


@pytest.mark.parametrize("sentence", [
    "We may share your information with our partners.",
    "Our service providers might use cookies on our behalf.",
    "We update this notice from time to time.",
    "We will disclose data to third parties at our sole discretion.",
    "Where appropriate, we anonymise the data we keep.",
    "In certain circumstances we retain records for longer.",
    "This information could be combined with data from other sources.",
    "We periodically review the categories of data we hold.",
])
def test_hedged_wording_is_counted(sentence):
    assert _hedges(sentence), sentence


@pytest.mark.parametrize("sentence", [
    "You may ask us to delete your personal data.",
    "you may withdraw your consent at any time.",
    "This policy was last updated on May 25, 2024.",
    "It takes effect on 1 May 2025.",
    "In May 2025 we moved our servers to Frankfurt.",
    "We delete your account data within 30 days of closure.",
    "We will notify you by email before any change takes effect.",
    "The mayor of the town is not a data controller.",
])
def test_rights_dates_and_firm_statements_are_not_hedges(sentence):
    assert _hedges(sentence) == [], sentence


def test_long_sentences_and_hedges_are_quoted_at_their_offsets():
    long = " ".join(["We use your data"] + ["and your details"] * 12) + " to run the service."
    text = (f"# Privacy notice\n\n## Use\n\n{long}\n\nWe may share it from time to time. We keep it for a year.\n\n"
            "## Rights\n\nYou may ask us to delete it.\n")
    doc = _doc(text)
    r = measure(doc)
    assert word_count(long) > LONG_SENTENCE and r.long_sentences == 1
    [ev] = r.longest
    assert doc.text[ev.start:ev.end] == ev.quote == long and ev.section == "Use" and ev.line == 5
    assert r.hedged_sentences == 1 and r.hedge_ratio == round(1 / 4, 3)
    [h] = r.hedged
    assert [doc.text[a:b] for a, b in h.highlights] == ["may", "from time to time"]


def test_short_sections_are_not_scored_alone():
    r = measure(_doc("# Title\n\n## Short\n\nWe keep data.\n"))
    assert r.sections[0].reading_ease is None and r.reading_ease is None
    assert "not scored" in r.summary()


def test_no_prose_gives_no_figures():
    r = measure(_doc("# Only\n\n## Headings\n"))
    assert (r.sentences, r.words, r.reading_ease) == (0, 0, None) and r.summary() == "No prose to measure."


def test_json_carries_readability_and_is_deterministic(packs, capsys):
    code, out, _ = run(["examples/thorough-policy.md", "-f", "json", "--as-of", "2026-11-26"], capsys)
    rd = json.loads(out)["reports"][0]["readability"]
    assert set(rd) == {"words", "sentences", "reading_ease", "band", "long_sentence_words", "long_sentences",
                       "longest", "hedged_sentences", "hedge_ratio", "hedged", "sections"}
    assert rd["long_sentences"] >= len(rd["longest"]) and 0 <= rd["hedge_ratio"] <= 1
    text = open("examples/thorough-policy.md", encoding="utf-8").read()
    for ev in rd["longest"] + rd["hedged"]:
        assert text[ev["start"]:ev["end"]] == ev["quote"]
    _, again, _ = run(["examples/thorough-policy.md", "-f", "json", "--as-of", "2026-11-26"], capsys)
    assert again == out


def test_readability_never_changes_statuses_or_scores(packs):
    plain = "# Privacy\n\nAcme Ltd is the controller. You can ask us to delete your personal data.\n"
    hedged = plain.replace("You can ask us", "From time to time, and where appropriate, you may ask us")
    a, b = (check_text(t, "p.md", packs=packs, as_of=AS_OF) for t in (plain, hedged))
    assert [f.status for f in a.findings] == [f.status for f in b.findings]
    assert a.score_overall == b.score_overall and a.readability.hedged_sentences == 0 < b.readability.hedged_sentences


def test_reports_show_readability_and_escape_the_policy(tmp_path, capsys):
    policy = tmp_path / "p.md"
    policy.write_text("# Privacy\n\n## Sharing\n\nWe may share <script>alert(1)</script> data with "
                      "partners from time to time.\n", "utf-8")
    code, out, _ = run([str(policy), "-f", "text", "-v", "--as-of", "2026-11-26", "--fail-on", "never"], capsys)
    assert "Readability (GDPR Art. 12(1) clear and plain language; informational)" in out
    assert "Most hedged sentences:" in out
    html = tmp_path / "r.html"
    run([str(policy), "-o", str(html), "--as-of", "2026-11-26", "--fail-on", "never"], capsys)
    page = html.read_text("utf-8")
    assert 'id="r-readability"' in page and "Most hedged sentences" in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    code, out, _ = run([str(policy), "-f", "markdown", "--as-of", "2026-11-26", "--fail-on", "never"], capsys)
    assert "_Readability (GDPR Art. 12(1), informational): Reading ease" in out


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_measure_never_fails_and_quotes_sit_at_their_offsets(text):
    try:
        doc = _doc("# T\n\n" + text)
    except Exception:  # noqa: BLE001 - refusals (empty, binary) are the reader's business, tested elsewhere
        return
    r = measure(doc)
    assert r.sentences >= 0 and 0 <= r.hedge_ratio <= 1
    for ev in r.longest + r.hedged:
        assert doc.text[ev.start:ev.end] == ev.quote
        assert all(ev.start <= a < b <= ev.end for a, b in ev.highlights)


def test_link_targets_urls_and_addresses_are_not_words():
    assert word_count("See [Your rights](#your-rights-under-the-california-consumer-privacy-act) now.") == 4
    assert word_count("Visit https://example.com/privacy-request or write to privacy@example.com today.") == 5
    toc = "# Policy\n\n## Contents\n\n" + "".join(f"* [Section {i}](#a-very-long-anchor-name-for-section-{i})\n"
                                                for i in range(30))
    assert all(s.reading_ease is None or s.reading_ease > 0 for s in measure(_doc(toc)).sections)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list("aMmyIi\u0131\u0130\u212a .:/@w()[]-'") + [
    "www.", "://", "](", "May 5", "may", "might", "from time to time", "you ", "generally", "Occasionally",
    "if necessary"]),
    max_size=40).map("".join))
def test_the_fast_paths_find_what_the_plain_regexes_find(text):
    """The shortcuts (a URL needs '@', '://', 'www.' or ']('; a hedge starts with one of a few letters; the
    month needs 'May') give what the regexes alone give."""
    import re

    from checker import readability as r

    assert r._readable(text) == r._URLISH.sub(" ", text)
    plain_hedge = re.compile(r._HEDGE.pattern.replace("(?=[acfgimoptw])", "", 1), re.IGNORECASE)
    assert plain_hedge.pattern != r._HEDGE.pattern
    months = {m.start() for m in r._MONTH.finditer(text)}
    assert _hedges(text) == [m.span() for m in plain_hedge.finditer(text) if m.start() not in months]
