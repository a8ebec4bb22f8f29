"""Pattern semantics (checker.matcher) and how matches become findings (checker.scoring)."""
from __future__ import annotations

import pytest
import yaml

import checker
from checker.matcher import Doc, compile_pattern, find
from checker.scoring import assess


def read(text: str, name: str = "policy.md") -> checker.Document:
    return checker.read_document(name, data=text.encode("utf-8"))


def matches(spec, text: str, scope: str = "sentence", defs=None, name: str = "policy.md") -> list[str]:
    """Text of the sentence each match is anchored on, in document order."""
    doc = read(text, name)
    node = compile_pattern(spec, defs or {})
    return [doc.text[doc.sentences[i].start:doc.sentences[i].end] for i, _ in find(node, Doc(doc), scope)]


def matched_words(spec, text: str, scope: str = "sentence", defs=None) -> list[list[str]]:
    """The highlighted spans of each match, as text of the original document."""
    doc = read(text)
    node = compile_pattern(spec, defs or {})
    return [[doc.text[s:e] for s, e in spans] for _, spans in find(node, Doc(doc), scope)]


# ---------------------------------------------------------------- phrases


def test_phrase_is_word_bounded():
    text = "You have a right. Righteous people. Copyright applies. Rightly so."
    assert matches("right", text) == ["You have a right."]


def test_phrase_matches_plural_and_possessive():
    text = "Your rights. The right\u2019s scope. A user's data. Two users. Several businesses."
    assert matched_words("right", text) == [["rights"], ["right\u2019s"]]
    assert matched_words("user", text) == [["user's"], ["users"]]
    assert matched_words("business", text) == [["businesses"]]


def test_short_words_are_not_inflected():
    assert matches("us", "Contact us. It uses cookies.") == ["Contact us."]


def test_phrase_is_case_insensitive():
    assert matched_words("personal data", "PERSONAL DATA is kept. Personal Data too.") == [["PERSONAL DATA"], ["Personal Data"]]


def test_wildcard_matches_any_ending():
    text = "We delete it. Deletion is final. Data is deleted. You may undelete files."
    assert matched_words("delet*", text) == [["delete"], ["Deletion"], ["deleted"]]


def test_optional_word():
    text = "We hold your data. We hold data. We hold metadata."
    assert matches("your? data", text) == ["We hold your data.", "We hold data."]
    assert matched_words("your? data", "We hold data.") == [["data"]]
    assert "your data" in matched_words("your? data", text)[0]
    assert matched_words("right to? erasure", "A right to erasure. A right erasure.") == [["right to erasure"], ["right erasure"]]


@pytest.mark.parametrize("phrase", ["opt-out", "opt out"])
@pytest.mark.parametrize("written", ["opt out", "opt-out", "opt\u2011out", "opt\u2013out", "opt - out"])
def test_hyphen_and_space_are_interchangeable(phrase, written):
    assert matched_words(phrase, f"You may {written} at any time.") == [[written]]


def test_smart_quotes_and_nbsp_in_the_input_still_match():
    text = "The user\u2019s personal\u00a0data is safe. We \u201cnever\u201d sell it."
    assert matched_words("user's personal data", text) == [["user\u2019s personal\u00a0data"]]
    assert matched_words('"never"', text) == [["\u201cnever\u201d"]]


def test_terms_match_any_alternative():
    text = "We keep personal data. We keep logs. We keep nothing else."
    assert matches({"terms": ["personal data", "logs"]}, text) == ["We keep personal data.", "We keep logs."]
    assert matched_words({"terms": ["personal data", "logs"]}, text) == [["personal data"], ["logs"]]


def test_regex_leaf_is_case_insensitive():
    assert matches({"regex": r"\b\d+ days\b"}, "We reply in 30 DAYS. Soon.") == ["We reply in 30 DAYS."]


# ---------------------------------------------------------------- combinators and scope


def test_all_must_match_within_one_sentence():
    spec = {"all": ["sell", "personal data"]}
    assert matches(spec, "We sell personal data. We sell shoes.") == ["We sell personal data."]
    assert matches(spec, "We sell shoes. Personal data is kept.") == []


def test_all_at_paragraph_scope_spans_sentences_but_not_paragraphs():
    spec = {"all": ["sell", "personal data"]}
    assert matches(spec, "We sell shoes. Personal data is kept.", scope="paragraph") == ["We sell shoes."]
    assert matches(spec, "We sell shoes.\n\nPersonal data is kept.", scope="paragraph") == []


def test_scope_widens_one_child_to_the_paragraph():
    spec = {"all": ["erasure", {"phrase": "right", "scope": "paragraph"}]}
    assert matched_words(spec, "You have several rights. One of them is erasure.") == [["erasure", "rights"]]
    assert matches(spec, "You have several rights.\n\nOne of them is erasure.") == []


def test_section_scope_is_the_sentence_own_section_not_its_parent():
    spec = {"all": ["delete", {"phrase": "your rights", "scope": "section"}]}
    text = "# Your rights\n\nIntro.\n\n## Deletion\n\nWe delete on request.\n\n# Other\n\nWe delete logs.\n"
    assert matches(spec, text) == []  # "your rights" is the parent heading, outside the Deletion section
    text2 = "# Rights\n\nYour rights are listed here. We delete on request.\n\n# Other\n\nWe delete logs.\n"
    assert matches(spec, text2) == ["We delete on request."]


def test_any_collects_spans_of_every_matching_child():
    spec = {"any": ["delete", "erase"]}
    assert matched_words(spec, "We delete or erase it. Nothing here.") == [["delete", "erase"]]


@pytest.mark.parametrize("text, found", [
    ("We sell your personal data.", True),        # 3 words apart
    ("We sell your very personal data.", False),  # 4 words apart
    ("Data that we sell is listed.", True),       # order does not matter
])
def test_near_within(text, found):
    assert bool(matches({"near": ["sell", "data"], "within": 3}, text)) is found


def test_not_vetoes_a_sentence():
    spec = {"all": ["sell", {"not": {"terms": ["not", "never"]}}]}
    text = "We do not sell personal data. We sell personal data. We will never sell it."
    assert matches(spec, text) == ["We sell personal data."]


def test_heading_context():
    spec = {"all": ["delete", {"heading": {"phrase": "your rights"}}]}
    text = (
        "# Your rights\n\nYou can ask us to delete.\n\n"
        "## Details\n\nWe delete within a month.\n\n"
        "# Retention\n\nWe delete logs.\n"
    )
    # the sentence under "Your rights", and under its subsection, match; the same verb elsewhere does not
    assert matches(spec, text) == ["You can ask us to delete.", "We delete within a month."]


def test_heading_context_in_plain_text_and_numbered_clauses():
    spec = {"all": ["delete", {"heading": {"terms": ["your rights"]}}]}
    text = "6 YOUR RIGHTS\n\n6.2 Deletion\n\nWe delete on request.\n\n7 Retention\n\nWe delete logs.\n"
    assert matches(spec, text, name="policy.txt") == ["We delete on request."]


def test_ref_uses_a_definition():
    defs = {"deletion_word": compile_pattern({"terms": ["delet*", "eras*"]}, {})}
    spec = {"all": [{"ref": "deletion_word"}, "your data"]}
    assert matches(spec, "We erase your data. We delete logs. We keep your data.", defs=defs) == ["We erase your data."]


def test_ref_with_scope_does_not_change_the_shared_definition():
    word = compile_pattern("right", {})
    defs = {"right_word": word}
    spec = {"all": ["erasure", {"ref": "right_word", "scope": "paragraph"}]}
    assert matches(spec, "You have rights. Erasure is one.", defs=defs) == ["Erasure is one."]
    assert word.scope is None


# ---------------------------------------------------------------- findings from a pack


def write_pack(tmp_path, requirements: list[dict], defs: dict | None = None):
    d = tmp_path / "acme"
    d.mkdir(exist_ok=True)
    (d / "pack.yaml").write_text('regime: acme\ntitle: Acme\nversion: "1.0.0"\n', encoding="utf-8")
    body = {"requirements": requirements}
    if defs:
        body["defs"] = defs
    (d / "rules.yaml").write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return checker.load_packs([tmp_path], ["acme"])


def requirement(rid: str, elements: list[dict], **extra) -> dict:
    return {
        "id": f"acme.{rid}", "title": rid.title(), "citation": "Art. 1", "severity": "major",
        "summary": "Say it.", "remediation": "Add it.", **extra,
        "elements": elements, "examples": {"match": [], "no_match": []},
    }


ERASURE = requirement(
    "erasure",
    [
        {"name": "right", "label": "a right to erasure", "match": {"all": ["delet*", {"ref": "personal_data"}]}},
        {"name": "contact", "label": "a way to ask", "match": {"terms": ["contact us", "email us"]}},
        {"name": "timing", "label": "a deadline", "required": False, "match": {"regex": r"\b\d+ days\b"}},
    ],
    expected_in="Usually under Your rights.",
)


def finding(packs, text: str, name: str = "policy.md"):
    report = checker.check_document(read(text, name), packs)
    assert len(report.findings) == 1
    return report.findings[0]


def test_met_when_every_required_element_is_found(tmp_path):
    packs = write_pack(tmp_path, [ERASURE])
    f = finding(packs, "You can delete your data. Contact us at privacy@example.com.\n")
    assert f.status == "met"
    assert f.elements == (("right", True), ("contact", True), ("timing", False))
    assert f.explanation == "The policy states a right to erasure (line 1) and a way to ask (line 1)."


def test_an_explanation_lists_the_first_lines_and_how_many_more(tmp_path):
    req = requirement("deletion", [{"name": "right", "label": "a right to erasure", "match": "delet*"}])
    text = "\n\n".join(f"Rule {i}: we delete data." for i in range(1, 12)) + "\n"
    f = finding(write_pack(tmp_path, [req]), text)
    assert f.explanation == "The policy states a right to erasure (lines 1, 3, 5, 7, 9, 11 and 5 more)."
    f = finding(write_pack(tmp_path, [req]), "\n\n".join(["We delete data."] * 10) + "\n")
    assert f.explanation == "The policy states a right to erasure (lines 1, 3, 5, 7, 9, 11, 13, 15, 17, 19)."


def test_partial_when_only_some_required_elements_are_found(tmp_path):
    packs = write_pack(tmp_path, [ERASURE])
    f = finding(packs, "You can delete your data.\n")
    assert f.status == "partial"
    assert f.elements == (("right", True), ("contact", False), ("timing", False))
    assert f.explanation == "The policy mentions a right to erasure (line 1), but does not state a way to ask."


def test_partial_when_only_an_optional_element_is_found(tmp_path):
    packs = write_pack(tmp_path, [ERASURE])
    f = finding(packs, "We answer within 30 days.\n")
    assert f.status == "partial"
    assert f.elements == (("right", False), ("contact", False), ("timing", True))


def test_missing_when_nothing_is_found(tmp_path):
    packs = write_pack(tmp_path, [ERASURE])
    f = finding(packs, "We like cake.\n")
    assert f.status == "missing"
    assert f.evidence == ()
    assert f.explanation == "Nothing in the policy states a right to erasure and a way to ask. Usually under Your rights."


def test_assess_directly(tmp_path):
    packs = write_pack(tmp_path, [ERASURE])
    f = assess(packs[0].requirements[0], Doc(read("Email us to delete your data.\n")))
    assert (f.id, f.status) == ("acme.erasure", "met")


KIDS = requirement(
    "kids",
    [{"name": "age", "label": "a minimum age", "match": {"ref": "age_threshold"}}],
    when={"label": "the service is used by children", "match": {"ref": "child"}},
)
SALE = requirement(
    "sale",
    [{"name": "optout", "label": "an opt-out", "match": "opt-out"}],
    when={"label": "personal data is sold", "unless": {"all": ["sell", {"ref": "negation"}]}},
)


def test_when_match_absent_is_not_applicable(tmp_path):
    packs = write_pack(tmp_path, [KIDS])
    f = finding(packs, "You must be at least 18 years old to use the app.\n")
    assert f.status == "not_applicable"
    assert f.explanation == "Not applicable: nothing in the policy indicates that the service is used by children."
    assert f.evidence == ()


def test_when_match_present_is_assessed(tmp_path):
    packs = write_pack(tmp_path, [KIDS])
    f = finding(packs, "Children are welcome.\n\nUsers must be at least 13.\n")
    assert f.status == "met"
    assert [e.quote for e in f.evidence] == ["Users must be at least 13."]


def test_when_unless_present_is_not_applicable(tmp_path):
    packs = write_pack(tmp_path, [SALE])
    f = finding(packs, "# Policy\n\nWe collect data.\n\nWe do not sell personal data.\n")
    assert f.status == "not_applicable"
    assert f.explanation == ("Not applicable: the policy rules out that personal data is sold "
                             "(line 5: \u201cWe do not sell personal data.\u201d).")


def test_when_unless_absent_is_assessed(tmp_path):
    packs = write_pack(tmp_path, [SALE])
    assert finding(packs, "We sell personal data. You may opt out.\n").status == "met"
    assert finding(packs, "We sell personal data.\n").status == "missing"


def test_not_applicable_does_not_count_in_the_score(tmp_path):
    packs = write_pack(tmp_path, [ERASURE, KIDS])
    report = checker.check_document(read("You can delete your data. Contact us.\n"), packs)
    assert [f.status for f in report.findings] == ["met", "not_applicable"]
    assert report.score_overall == 100.0


# ---------------------------------------------------------------- evidence


EVIDENCE_POLICY = (
    "# Policy\r\n"
    "\r\n"
    "We collect data.\r\n"
    "\r\n"
    "## Your \u201crights\u201d\r\n"
    "\r\n"
    "You can delete your\u00a0data. Other text.\r\n"
    "Contact us at privacy@example.com.\r\n"
    "\r\n"
    "We answer within 30 days.\r\n"
)


def test_evidence_quotes_the_original_text_with_lines_and_section(tmp_path):
    packs = write_pack(tmp_path, [ERASURE])
    doc = read(EVIDENCE_POLICY)
    f = checker.check_document(doc, packs).findings[0]
    assert f.status == "met"
    got = [(e.element, e.quote, e.line, e.section) for e in f.evidence]
    # met: the passages of the parts that make it met; the optional deadline is found but not quoted
    assert got == [
        ("right", "You can delete your\u00a0data.", 7, "Your \u201crights\u201d"),
        ("contact", "Contact us at privacy@example.com.", 8, "Your \u201crights\u201d"),
    ]
    assert ("timing", True) in f.elements
    for e in f.evidence:
        assert e.quote == doc.text[e.start:e.end]
        assert doc.line_of(e.start) == e.line
        for s, t in e.highlights:
            assert e.start <= s < t <= e.end
    right = f.evidence[0]
    assert [doc.text[s:t] for s, t in right.highlights] == ["delete", "your\u00a0data"]
    assert f.explanation == "The policy states a right to erasure (line 7) and a way to ask (line 8)."


def test_a_partial_finding_also_quotes_the_optional_parts_found(tmp_path):
    packs = write_pack(tmp_path, [ERASURE])
    f = finding(packs, "You can delete your data.\n\nWe answer within 30 days.\n")
    assert f.status == "partial"
    assert [(e.element, e.line) for e in f.evidence] == [("right", 1), ("timing", 3)]


def test_a_met_finding_quotes_only_the_counted_options(tmp_path):
    """With `min_elements`, the options found make it met; each is quoted (the others are not found)."""
    req = requirement("methods", [{"name": n, "label": n, "match": {"terms": [n]}}
                                  for n in ("email", "phone", "form")], min_elements=2)
    f = finding(write_pack(tmp_path, [req]), "Send an email.\n\nOr phone us.\n")
    assert f.status == "met"
    assert [(e.element, e.line) for e in f.evidence] == [("email", 1), ("phone", 3)]


def test_paragraph_scope_evidence_quotes_the_sentences_with_the_matched_words(tmp_path):
    req = requirement("sale", [{"name": "sale", "label": "sale and opt-out", "scope": "paragraph",
                                "match": {"all": ["sell", "opt out"]}}])
    packs = write_pack(tmp_path, [req])
    doc = read("Intro.\n\nWe sell data. We are open about it.\nYou can opt out.\n")
    f = checker.check_document(doc, packs).findings[0]
    assert f.status == "met"
    (e,) = f.evidence
    assert e.quote == "We sell data. We are open about it.\nYou can opt out."
    assert e.quote == doc.text[e.start:e.end]
    assert e.line == 3
    assert e.section is None


def test_evidence_prefers_body_sentences_over_headings(tmp_path):
    req = requirement("del", [{"name": "d", "label": "deletion", "match": "deletion"}])
    packs = write_pack(tmp_path, [req])
    f = finding(packs, "# Deletion\n\nDeletion happens on request.\n")
    assert [(e.quote, e.line) for e in f.evidence] == [("Deletion happens on request.", 3)]


# ---------------------------------------------------------------- known bugs


def test_all_is_order_independent_with_a_widened_first_child():
    spec = {"all": [{"phrase": "right", "scope": "paragraph"}, "erasure"]}
    assert matches(spec, "You have several rights. One of them is erasure.") == ["One of them is erasure."]


def test_html_comment_text_does_not_satisfy_a_section_scoped_pattern():
    spec = {"all": ["sell", {"phrase": "opt out", "scope": "section"}]}
    text = "# Sale\n\nWe sell data.\n\n<!-- TODO: explain how to opt out -->\n\n# Other\n\nText.\n"
    assert matches(spec, text) == []


def test_curly_apostrophe_in_a_phrase_matches():
    assert matches("children\u2019s privacy", "Read our children's privacy notice.") == [
        "Read our children's privacy notice."]


@pytest.mark.parametrize("spec, text, hit", [
    ({"terms": ["data", "personal data"]}, "We keep personal data.", "personal data"),
    ("your? data", "We keep your data.", "your data"),
])
def test_hits_do_not_overlap(spec, text, hit):
    assert matched_words(spec, text) == [[hit]]


def test_indexed_hits_keep_the_longest_at_an_offset_and_partial_overlaps():
    """Phrases tried at their first words: of the hits starting at one offset (from an exact and a wildcard
    group) the longest stands; a hit starting inside it but running on stands too; one inside it does not."""
    leaf = compile_pattern({"terms": ["personal data", "personal*", "data protection", "data", "protect*"]}, {})
    assert leaf.groups is not None and len(leaf.groups) >= 3
    doc = checker.read_document("t.txt", data=b"Personal data protection. Data, personally.")
    d = Doc(doc)
    assert [d.text[s:e] for s, e in d.hits(leaf)[1]] == ["Personal data", "data protection", "Data", "personally"]


@pytest.mark.parametrize("phrase, word", [("e-mail*", "emailing"), ("re-identif*", "reidentify")])
def test_hyphenated_wildcard_matches_the_joined_spelling(phrase, word):
    assert matched_words(phrase, f"We may {word} you.") == [[word]]


def test_document_scope_condition_anchors_on_the_sentence_scoped_child(tmp_path):
    """In a document-scoped `all`, a child with `scope: sentence` is read at the anchor sentence, so candidates
    must come from it, whichever child is cheaper to look up or comes first."""
    rep = requirement(
        "rep",
        [{"name": "rep", "label": "a representative", "match": "representative"}],
        when={"label": "a non-EU controller addresses EU people", "scope": "document",
              "match": {"all": [{"terms": ["gdpr"]}, {"all": ["located", "united states"], "scope": "sentence"}]}},
    )
    packs = write_pack(tmp_path, [rep])
    text = "# About\n\nWe are located in the United States.\n\n# GDPR\n\nThe GDPR gives you rights.\n"
    assert finding(packs, text).status == "missing"
    # the two parts in different sentences are not the sentence-level fact the condition asks for
    text = "# About\n\nWe are located here. Our office is in the United States.\n\n# GDPR\n\nThe GDPR applies.\n"
    assert finding(packs, text).status == "not_applicable"


def test_question_mark_inside_a_word_is_any_one_letter():
    text = "An organisation. An organization. An organiation. Personalised ads. Personalized ads."
    assert matches("organi?ation", text) == ["An organisation.", "An organization."]
    assert matches({"terms": ["personali?ed ads"]}, text) == ["Personalised ads.", "Personalized ads."]
    assert matches("the data? controller", "The controller. The data controller.") == [
        "The controller.", "The data controller."]


def test_highlights_cover_whole_words(packs):
    """A pattern may match inside a word ("gracht 221" in "Keizersgracht 221"); the highlight shows the word."""
    from checker.api import check_text

    text = "# Privacy\n\nSlotwise B.V., Keizersgracht 221, 1016 DV Amsterdam, is the controller.\n"
    report = check_text(text, "p.md", packs=packs, as_of=__import__("datetime").date(2026, 11, 26))
    spans = [h for f in report.findings for e in f.evidence for h in e.highlights]
    assert spans
    for a, b in spans:
        assert not (a > 0 and text[a - 1].isalnum() and text[a].isalnum()), text[a - 5:b]
        assert not (b < len(text) and text[b].isalnum() and text[b - 1].isalnum()), text[a:b + 5]
