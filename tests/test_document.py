"""The document model: readers + segment -> sections, paragraphs and sentences with exact offsets and lines."""
from __future__ import annotations

import pytest

import checker


def read(text: str, name: str = "policy.md") -> checker.Document:
    return checker.read_document(name, data=text.encode("utf-8"))


def sentences(doc) -> list[str]:
    return [doc.text[s.start:s.end] for s in doc.sentences]


def body_sentences(doc) -> list[str]:
    return [doc.text[s.start:s.end] for s in doc.sentences if not s.is_heading]


def paragraphs(doc) -> list[str]:
    return [doc.text[p.start:p.end] for p in doc.paragraphs]


def sections(doc) -> list[tuple[str, int, tuple[str, ...]]]:
    """(heading, level, path) of every real section (section 0 is the preamble)."""
    return [(s.heading, s.level, s.path) for s in doc.sections[1:]]


def section_of(doc, sentence_text: str) -> str:
    for s in doc.sentences:
        if doc.text[s.start:s.end] == sentence_text:
            return doc.sections[s.section].heading
    raise AssertionError(f"no sentence {sentence_text!r}")


# ---------------------------------------------------------------- offsets and lines

MIXED = (
    "# Privacy \u201cPolicy\u201d\r\n"
    "\r\n"
    "We are Acme\u00a0Group. We process data.\r\n"
    "\r\n"
    "## Your rights\r\n"
    "\r\n"
    "You can:\r\n"
    "\r\n"
    "- ask for a copy;\r\n"
    "- ask us to delete it.\r\n"
    "\r\n"
    "**Contact**\r\n"
    "\r\n"
    "| Channel | Address |\r\n"
    "|---|---|\r\n"
    "| Email | privacy@example.com |\r\n"
)


def test_text_is_the_decoded_input_verbatim():
    doc = read(MIXED)
    assert doc.text == MIXED  # CRLF, smart quotes and NBSP kept
    assert len(doc.norm) == len(doc.text)
    assert doc.norm[doc.text.index("\u201c")] == '"'
    assert doc.norm[doc.text.index("\u00a0")] == " "


def test_every_span_slices_the_original_text_without_markers_or_whitespace():
    doc = read(MIXED)
    assert sentences(doc) == [
        "Privacy \u201cPolicy\u201d",
        "We are Acme\u00a0Group.",
        "We process data.",
        "Your rights",
        "You can:",
        "ask for a copy;",
        "ask us to delete it.",
        "Contact",
        "Channel | Address",
        "Email | privacy@example.com",
    ]
    for unit in list(doc.sentences) + list(doc.paragraphs):
        piece = doc.text[unit.start:unit.end]
        assert piece == piece.strip(), piece
        assert not piece.startswith(("#", "- ", "**", "|")), piece


def test_line_numbers_are_one_based_with_crlf():
    doc = read(MIXED)
    lines = {doc.text[s.start:s.end]: s.line for s in doc.sentences}
    assert lines == {
        "Privacy \u201cPolicy\u201d": 1,
        "We are Acme\u00a0Group.": 3,
        "We process data.": 3,
        "Your rights": 5,
        "You can:": 7,
        "ask for a copy;": 9,
        "ask us to delete it.": 10,
        "Contact": 12,
        "Channel | Address": 14,
        "Email | privacy@example.com": 16,
    }


def test_crlf_and_lf_give_the_same_lines_and_sentences():
    lf = read(MIXED.replace("\r\n", "\n"))
    crlf = read(MIXED)
    assert [s.line for s in lf.sentences] == [s.line for s in crlf.sentences]
    assert sentences(lf) == sentences(crlf)
    assert lf.line_of(lf.text.index("delete")) == 10
    assert crlf.line_of(crlf.text.index("delete")) == 10


def test_line_of_a_sentence_inside_a_wrapped_paragraph():
    doc = read("Title\n=====\n\nFirst line of a paragraph.\nSecond line. Third\nsentence here.\n")
    got = [(doc.text[s.start:s.end], s.line) for s in doc.sentences]
    assert got == [
        ("Title", 1),
        ("First line of a paragraph.", 4),
        ("Second line.", 5),
        ("Third\nsentence here.", 5),
    ]


# ---------------------------------------------------------------- headings and sections


def test_markdown_headings_nest_by_level():
    doc = read("# Policy\n\nIntro.\n\n## Rights\n\n### Erasure\n\nWe delete.\n\n## Contact\n\nMail us.\n\n# Annex\n\nMore.\n")
    assert sections(doc) == [
        ("Policy", 1, ("Policy",)),
        ("Rights", 2, ("Policy", "Rights")),
        ("Erasure", 3, ("Policy", "Rights", "Erasure")),
        ("Contact", 2, ("Policy", "Contact")),
        ("Annex", 1, ("Annex",)),
    ]
    parents = [doc.sections[s.parent].heading for s in doc.sections[1:]]
    assert parents == ["", "Policy", "Rights", "Policy", ""]
    assert section_of(doc, "We delete.") == "Erasure"
    assert section_of(doc, "Mail us.") == "Contact"


def test_atx_closing_hashes_are_not_part_of_the_heading():
    doc = read("## Your rights ##\n\nText.\n")
    assert sections(doc) == [("Your rights", 2, ("Your rights",))]
    sec = doc.sections[1]
    assert doc.text[sec.start:sec.start + len("Your rights")] == "Your rights"


def test_section_spans_run_to_the_next_heading_of_same_or_higher_level():
    text = "# A\n\nOne.\n\n## B\n\nTwo.\n\n# C\n\nThree.\n"
    doc = read(text)
    a, b, c = doc.sections[1:]
    assert (a.start, b.start, c.start) == (text.index("A"), text.index("B"), text.index("C\n"))
    assert a.end == c.start  # A contains its subsection B
    assert b.end == c.start
    assert c.end == len(text)


def test_setext_underlined_titles():
    doc = read("Privacy Policy\n==============\n\nIntro.\n\nYour Rights\n-----------\n\nText.\n")
    assert sections(doc) == [
        ("Privacy Policy", 1, ("Privacy Policy",)),
        ("Your Rights", 2, ("Privacy Policy", "Your Rights")),
    ]
    assert sentences(doc) == ["Privacy Policy", "Intro.", "Your Rights", "Text."]


def test_rest_titles_with_overline_and_tilde_underline():
    doc = read("=====\nTitle\n=====\n\nBody.\n\nSubsection\n~~~~~~~~~~\n\nMore.\n", name="policy.rst")
    assert sections(doc) == [
        ("Title", 1, ("Title",)),
        ("Subsection", 2, ("Title", "Subsection")),  # reST: levels follow the order styles appear
    ]
    assert section_of(doc, "More.") == "Subsection"


def test_numbered_clauses_nest_under_their_parent_clause():
    doc = read("6 Your rights\n\nIntro.\n\n6.1 Access\n\nAsk us.\n\n6.2 Deletion\n\nWe delete data.\n\n7 Contact\n\nMail.\n")
    assert sections(doc) == [
        ("6 Your rights", 1, ("6 Your rights",)),
        ("6.1 Access", 2, ("6 Your rights", "6.1 Access")),
        ("6.2 Deletion", 2, ("6 Your rights", "6.2 Deletion")),
        ("7 Contact", 1, ("7 Contact",)),
    ]
    assert section_of(doc, "We delete data.") == "6.2 Deletion"


def test_numbered_clauses_sit_below_the_last_markdown_heading():
    doc = read("# Privacy policy\n\n6 Your rights\n\n6.2 Deletion\n\nWe delete data.\n")
    assert sections(doc) == [
        ("Privacy policy", 1, ("Privacy policy",)),
        ("6 Your rights", 2, ("Privacy policy", "6 Your rights")),
        ("6.2 Deletion", 3, ("Privacy policy", "6 Your rights", "6.2 Deletion")),
    ]


def test_numbered_sentence_is_a_list_item_not_a_heading():
    doc = read("# Policy\n\n1. We collect data about you.\n")
    assert sections(doc) == [("Policy", 1, ("Policy",))]
    assert body_sentences(doc) == ["We collect data about you."]


def test_all_caps_lines_are_headings():
    doc = read("# Policy\n\nHOW WE SHARE DATA\n\nWe share it.\n\nWE DO NOT SELL DATA.\n\nOur address:\nACME HOUSE LONDON\n")
    assert sections(doc) == [
        ("Policy", 1, ("Policy",)),
        ("HOW WE SHARE DATA", 2, ("Policy", "HOW WE SHARE DATA")),
    ]
    # a caps line ending in '.' or continuing a paragraph stays body text
    assert body_sentences(doc) == ["We share it.", "WE DO NOT SELL DATA.", "Our address:\nACME HOUSE LONDON"]


def test_whole_line_bold_is_a_heading_but_inline_bold_is_not():
    doc = read("## Your rights\n\n**Deletion**\n\nWe delete.\n\nSome text.\n**Not a heading**\nmore.\n")
    assert sections(doc) == [
        ("Your rights", 2, ("Your rights",)),
        ("Deletion", 3, ("Your rights", "Deletion")),
    ]
    heading = doc.sections[2]
    assert doc.text[heading.start:heading.start + len("Deletion")] == "Deletion"
    assert "**Not a heading**\nmore." in body_sentences(doc)


def test_text_before_the_first_heading_is_in_the_preamble_section():
    doc = read("Last updated 2024.\n\n# Policy\n\nBody.\n")
    assert doc.sections[0].heading == ""
    assert doc.sections[0].path == ()
    assert doc.sentences[0].section == 0
    assert section_of(doc, "Body.") == "Policy"


# ---------------------------------------------------------------- paragraphs


def test_list_items_join_a_lead_in_ending_with_colon():
    doc = read("We collect the following:\n\n- your name;\n- your email address.\n\nSeparate paragraph.\n")
    assert paragraphs(doc) == [
        "We collect the following:\n\n- your name;\n- your email address.",
        "Separate paragraph.",
    ]
    assert [s.paragraph for s in doc.sentences] == [0, 0, 0, 1]
    assert sentences(doc)[1:3] == ["your name;", "your email address."]


def test_list_without_colon_lead_in_is_its_own_paragraph():
    doc = read("No colon here\n\n* item one\n* item two\n")
    assert paragraphs(doc) == ["No colon here", "item one\n* item two"]


def test_list_after_a_heading_does_not_join_the_previous_section():
    doc = read("Intro:\n\n# Rights\n\n- erasure\n- access\n")
    assert paragraphs(doc) == ["Intro:", "Rights", "erasure\n- access"]
    assert doc.paragraphs[2].section == 1


def test_table_rows_are_paragraphs_and_the_separator_is_skipped():
    doc = read("| Data | Purpose |\n|:---|---:|\n| Email | Login |\n| IP address | Security |\n")
    assert paragraphs(doc) == ["Data | Purpose", "Email | Login", "IP address | Security"]
    assert [s.line for s in doc.sentences] == [1, 3, 4]


def test_html_comments_are_skipped():
    text = "<!-- editor: remove before publishing -->\nVisible one.\n\n<!--\nWe sell your data.\n-->\nVisible two.\n"
    doc = read(text)
    assert sentences(doc) == ["Visible one.", "Visible two."]
    assert [s.line for s in doc.sentences] == [2, 7]
    assert all("sell" not in p for p in paragraphs(doc))


# ---------------------------------------------------------------- sentences


@pytest.mark.parametrize("text, expected", [
    ("We share data with partners, e.g. Google. We keep it safe.",
     ["We share data with partners, e.g. Google.", "We keep it safe."]),
    ("The controller is Acme Inc. The address is below.",
     ["The controller is Acme Inc. The address is below."]),
    ("Data is stored in the U.S. Our servers are secure.",
     ["Data is stored in the U.S. Our servers are secure."]),
    ("Our DPO is John F. Kennedy. Write to him.",
     ["Our DPO is John F. Kennedy.", "Write to him."]),
    ("Do you sell data? No! We never do.",
     ["Do you sell data?", "No!", "We never do."]),
    ("See Art. 17 GDPR. It applies.",
     ["See Art. 17 GDPR.", "It applies."]),
    ("We said \u201cnever.\u201d That holds.",
     ["We said \u201cnever.\u201d", "That holds."]),
])
def test_sentence_splitting(text, expected):
    assert sentences(read(text)) == expected


def test_no_split_before_lowercase():
    assert sentences(read("Contact approx. once a year. Then stop.")) == ["Contact approx. once a year.", "Then stop."]


# ---------------------------------------------------------------- plain text


def test_plain_text_reader():
    text = "PRIVACY POLICY\n\n1. Introduction\n\nThis policy applies. It is short.\n\n2. Your Rights\n\n2.1 Access\n\nYou may access.\n\n# not a heading in text\n"
    doc = read(text, name="policy.txt")
    assert doc.format == "text"
    assert sections(doc) == [
        ("PRIVACY POLICY", 1, ("PRIVACY POLICY",)),
        ("1. Introduction", 1, ("1. Introduction",)),
        ("2. Your Rights", 1, ("2. Your Rights",)),
        ("2.1 Access", 2, ("2. Your Rights", "2.1 Access")),
    ]
    assert body_sentences(doc) == ["This policy applies.", "It is short.", "You may access.", "# not a heading in text"]
    assert section_of(doc, "You may access.") == "2.1 Access"


def test_plain_text_keeps_html_comment_markers_as_text():
    doc = read("<!-- not special in text -->\n", name="notes.txt")
    assert sentences(doc) == ["<!-- not special in text -->"]


def test_markdown_format_name():
    assert read("# T\n\nx.\n").format == "markdown"
    assert read("T\n=\n", name="p.rst").format == "markdown"


# ---------------------------------------------------------------- known bugs


def test_code_fence_after_a_paragraph_line_is_not_an_underline():
    doc = read("Example:\n```\ncode here\n```\n\n# Your rights\n\nText.\n")
    assert sections(doc) == [("Your rights", 1, ("Your rights",))]


def test_rest_tilde_overline_title():
    doc = read("~~~~~~~\nTitle\n~~~~~~~\n\nBody text.\n", name="policy.rst")
    assert sections(doc) == [("Title", 1, ("Title",))]


def test_numbered_list_after_colon_lead_in_is_one_paragraph():
    doc = read("We collect:\n1. Name\n2. Email address\n\nWe keep it safe.\n")
    assert sections(doc) == []
    assert paragraphs(doc) == ["We collect:\n1. Name\n2. Email address", "We keep it safe."]
