"""The shortcuts that keep matching fast must never change a result: a regex is skipped only where it cannot
match (required literals), a long unit is searched piecewise only where that finds exactly what finditer finds
(barriers), and a sentence is left out of a find only where its pattern cannot match (Doc.necessary)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import checker
from checker import matcher
from checker.matcher import CASED, DIGIT, Doc, _FLAGS, first_characters, regex_barriers, required_literals, scan_source

ROOT = Path(__file__).resolve().parent.parent
SENTENCE_START = r"(?:^|(?<=[.!?;]\s))"


def tree(src: str):
    from re import _parser

    return _parser.parse(src, _FLAGS)


@pytest.mark.parametrize("src, want", [
    (r"\b(?:not|never|n't)\s+(?:\w+\s+){0,3}(?:sells?|sold|shares?)\b",
     (("sell", "share", "sold"), ("n't", "never", "not"))),
    (SENTENCE_START + r"(?!(?:[^.!?\n]|\n(?!\n))*\bnot\b)(?:[^.!?\n]|\n(?!\n))*?\b(?:we|i)\s+(?:sell|share)",
     (("sell", "share"),)),
    (r"[\w.+-]+@[\w-]+\.[a-z]{2,}|https?://", (("@", "http"),)),
    (r"\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}", ((DIGIT,),)),
    (r"(?-i:Ltd|LLC)\b", ((CASED + "LLC", CASED + "Ltd"),)),  # a case-sensitive group: strings as written
    (r"(?-i:\b(?:GmbH|AG|O\u00dc))(?![\w])", ((CASED + "AG", CASED + "GmbH", CASED + "O\u00dc"),)),  # "AG" is rare
    (r"(?-i:ab(?i:cd)ef)", None),  # case-insensitive again inside: "ab", "ef" alone are too short
    (r"\b[\w.+-]+\s*[\[(]\s*at\s*[\])]", (("(", "["),)),  # a class of rare characters: one of them
    (r"\bwe\s+(?:do|are)\b", None),  # nothing three letters long is required
    (r"(?:data)?\s*x", None),  # optional
    (r"(?!.*secret)\w+", None),  # only a negative look-ahead names a word
    (r"(?<![\w./=-])(?:xxx+|XXX+)(?![\w-])", (("xxx",),)),  # a repeated letter: its least count
    (r"\bab+c", None),  # ab, bc: too short (abbbc holds no abc)
    (r"\babb+cd", (("bcd",), ("abb",))),  # the first repetition joins what precedes, the last what follows
    (r"\bwx{2}yz", (("wxxyz",),)),  # a fixed count goes on with the run
    (r"\b(?:directive\s+)?95\s*/\s*46\b", ((DIGIT,),)),  # literal digits: a digit is needed
    (r"\bdirective\s+95\b", (("directive",), (DIGIT,))),
])
def test_required_literals(src, want):
    assert required_literals(tree(src)) == want


@pytest.mark.parametrize("src, want", [
    (SENTENCE_START + r"(?:[^.!?\n]|\n(?!\n))*?\bsell\b", ".!?"),
    (r"\bsell\b(?=[^.]*\bdata\b)", "."),  # what a look-ahead reads counts too
    (r"(?<=[.!?;]\s)we\s+sell", ".!?;:"),  # \s takes the newline; a look-behind reads only what precedes
    (r"\bsell\b.{0,20}data", ""),  # . runs over everything but a newline: refuse
    (r"\bsell\W{0,2}\s+data", ""),
    (r"sell(?-m:$)", ""),  # the end of the text: a shortened text would differ
    (r"(?:sell)?", ""),  # can match the empty string
])
def test_regex_barriers(src, want):
    assert regex_barriers(tree(src)) == want


@pytest.mark.parametrize("src, want", [
    (r"\b(?:sell|shares?|disclose)\b", "sd"),
    (r"(?<![\w])(?:data[\s-]+subject|user)s?", "du"),
    (r"(?:^|(?<=[.!?;]\s))(?:directive\s+)?95\s*/\s*46", "d9"),  # an optional word: its start or what follows
    (r"[A-Z]\w+|\d{3}|\?", r"A-Z\d\U0000003f"),  # class members as written: a range, a category, a literal
    (r"(?:data)?\s*x", r"d\sx"),  # what may follow an optional start counts too
    (r"(?:data)?.x", None),  # any character: no guard
    (r"(?:data)?", None),  # can match the empty string
    (r"[^a]bc|d", None),  # a negated class
])
def test_first_characters(src, want):
    items = first_characters(tree(src))
    assert (items if items is None else matcher._class_text(items)) == want


@pytest.mark.parametrize("src, guarded", [
    (r"\b(?:sell|share|disclose)\b", True),
    (r"\bsell(?:s|ing)?\b", False),  # one alternative at the first character: the engine fails fast anyway
    (r"(?:data)?\s*(?:x|y)", False),  # first characters unknown
    (r"(?i)(?:a|b)", False),  # inline global flags must stay first
    (r"\{\{|\{%", False),  # a literal first character the engine already skips ahead to
])
def test_scan_source_guards_only_where_it_pays(src, guarded):
    got = scan_source(src)
    assert (got != src) == guarded
    if guarded:
        assert got.startswith("(?=[") and got.endswith(f"(?:{src})")
        assert re.compile(got, _FLAGS)  # a valid regex


@pytest.mark.parametrize("src, text", [
    (r"\b(?:kilo|mega|kelvin)\w*", "\u212Aelvin, \u212Ailo, KILO, mega"),  # the Kelvin sign folds to k
    (r"(?:stop|tell|sell)s?", "\u017Ftop, \u017Fell, TELLS"),  # long s folds to s
    (r"(?:[a-c]x|\dy|_z)", "Bx 7y _z \u0662y"),  # a range, \d (Arabic-Indic two too), a literal
    (r"(?-i:Ab|Cd)|ef", "ab AB Ab cd Cd EF ef"),  # a case-sensitive group inside: the guard is wider, never narrower
])
def test_guard_finds_exactly_what_the_regex_finds(src, text):
    guarded = scan_source(src)
    assert guarded != src
    want = [m.span() for m in re.finditer(src, text, _FLAGS)]
    assert want
    assert [m.span() for m in re.finditer(guarded, text, _FLAGS)] == want
    assert [m.span() for m in matcher._compile_cached(src).finditer(text)] == want


def plain(doc: Doc, rx: re.Pattern, span):
    s, e = span
    return [(s + m.start(), s + m.end()) for m in rx.finditer(doc.text[s:e]) if m.end() > m.start()]


def regex_leaves(packs):
    nodes = []
    for p in packs:
        for r in p.requirements:
            nodes += [e.node for e in r.elements]
            if r.when is not None:
                nodes += [n for n in (r.when.match, r.when.unless) if n is not None]
        for f in p.flags:
            nodes += [n for _, n in f.sides]
    return list({leaf.pattern: leaf for leaf in matcher.leaves_of(nodes) if leaf.groups is None}.values())


@pytest.mark.parametrize("name", ["thorough-policy.md", "gappy-policy.md"])
def test_every_pack_regex_finds_what_finditer_finds(packs, name):
    """Over the whole text, every section and paragraph (piecewise search, literal rejection) and in the
    sentences chosen for a whole-text scan, each regex of the packs gives exactly plain finditer's hits."""
    doc = checker.read_document(str(ROOT / "examples" / name))
    d = Doc(doc)
    assert d.lower
    units = sorted({(0, len(d.text))} | {(s.start, s.end) for s in doc.sections}
                   | {(p.start, p.end) for p in doc.paragraphs})
    sentences = [(s.start, s.end) for s in doc.sentences]
    leaves = regex_leaves(packs)
    assert sum(1 for leaf in leaves if leaf.barriers and leaf.literals) > 100
    assert sum(1 for leaf in leaves if matcher.scan_source(leaf.pattern) != leaf.pattern) > 100
    for leaf in leaves:
        rx = re.compile(leaf.pattern, _FLAGS)  # the regex as written (leaf.regex scans with scan_source's guard)
        for span in units:
            assert d._regex_hits(leaf, span) == plain(d, rx, span), (leaf.pattern, span)
        if leaf.literals is not None:
            chosen = d.literal_sentences(leaf.literals)
            for i, span in enumerate(sentences):
                if i not in chosen:
                    assert not rx.search(d.text[span[0]:span[1]]), (leaf.pattern, span)


def test_piecewise_search_on_a_long_text():
    rx = SENTENCE_START + r"(?!(?:[^.!?\n]|\n(?!\n))*\bnot\b)(?:[^.!?\n]|\n(?!\n))*?\bwe\s+(?:sell|share)\b[^.!?\n]*"
    leaf = matcher.compile_pattern({"regex": rx}, {})
    assert leaf.barriers and leaf.literals
    filler = "Cookies are small files. " * 60
    text = (filler + "We sell data! We do not sell it. Maybe we share it; we share\nit again. " + filler
            + "we sell. x. We sell") * 3
    doc = checker.read_document("t.txt", data=text.encode())
    d = Doc(doc)
    span = (0, len(d.text))
    assert span[1] > matcher.CHUNKED_MIN
    got = d._regex_hits(leaf, span)
    assert got == plain(d, leaf.regex, span) and len(got) >= 9


def test_case_sensitive_literals_are_looked_up_as_written():
    """A (?-i:...) group's strings are looked for as written: a sentence holding them in another case cannot
    match and is not scanned; one holding them as written is."""
    leaf = matcher.compile_pattern({"regex": r"\b\w+\s+(?-i:Ltd|AG)\b"}, {})
    assert leaf.literals == ((CASED + "AG", CASED + "Ltd"),)
    text = "Acme ltd sells. Acme LTD sells. Acme Ltd sells. Foo AG buys. Foo ag buys. Bar Ltd and Baz AG."
    doc = checker.read_document("t.txt", data=text.encode())
    d = Doc(doc)
    spans = [(s.start, s.end) for s in doc.sentences]
    chosen = d.literal_sentences(leaf.literals)
    assert chosen == {2, 3, 5}
    for i, span in enumerate(spans):
        assert bool(plain(d, leaf.regex, span)) == (i in chosen)
    assert d.hits(leaf)[1] == [sp for span in spans for sp in plain(d, leaf.regex, span)]


def test_exotic_case_folding_turns_the_shortcuts_off():
    """'ſ' (long s) matches 's' under IGNORECASE though its lower case is not 's': no literal test then."""
    leaf = matcher.compile_pattern({"regex": r"\bwe\s+share\b"}, {})
    doc = checker.read_document("t.txt", data="Sometimes we ſhare it. We share it.".encode())
    d = Doc(doc)
    assert d.lower == ""
    assert d.literal_sentences(leaf.literals) is None
    assert d.hits(leaf)[1] == plain(d, leaf.regex, (0, 22)) + plain(d, leaf.regex, (23, len(d.text)))
    assert len(d.hits(leaf)[1]) == 2


def test_sentence_index_agrees_with_bisect():
    doc = checker.read_document(str(ROOT / "examples" / "gappy-policy.md"))
    d = Doc(doc)
    from bisect import bisect_right

    for offset in range(0, len(d.text) + 1):
        assert d.sentence_at(offset) == max(0, bisect_right(d.sent_starts, offset) - 1)


def test_exotic_characters_are_all_known():
    """Every non-ASCII character that re.IGNORECASE matches to an ASCII letter or digit, or whose lower case
    holds one, is in _CASE_EXOTIC (where such a character occurs, the literal shortcuts are off)."""
    ascii_alnum = re.compile(r"[a-z0-9]", re.I)
    found = {ch for ch in map(chr, range(128, 0x110000))
             if ascii_alnum.match(ch) or any(c.isascii() and c.isalnum() for c in ch.lower())}
    assert found <= set(matcher._CASE_EXOTIC)


@pytest.mark.parametrize("name", ["thorough-policy.md", "gappy-policy.md"])
def test_hits_over_a_sentence_agree_with_any_unit(packs, name):
    """Over its anchor sentence a leaf's hits come from a table by sentence (or the literal test by sentence
    set): the same as over that span asked as any other unit, for every leaf of the packs and every sentence,
    whether the leaf's whole-text hits were computed or not."""
    doc = checker.read_document(str(ROOT / "examples" / name))
    nodes = [n for p in packs for r in p.requirements for n in [e.node for e in r.elements]]
    nodes += [n for p in packs for f in p.flags for _, n in f.sides]
    leaves = matcher.leaves_of(nodes)
    spans = [(s.start, s.end) for s in doc.sentences]
    for whole in (False, True):
        by_anchor, by_span = Doc(doc), Doc(doc)
        assert by_anchor._cover is not None
        for leaf in leaves:
            if whole:
                by_anchor.hits(leaf)
                by_span.hits(leaf)
            for i, span in enumerate(spans):
                assert list(by_anchor.unit_hits(leaf, span, i)) == list(by_span.unit_hits(leaf, span)), (leaf.source, i)
        assert any(by_anchor._by_sentence.values())  # the table was used


def pack_nodes(packs):
    """(node, scope) for every element, condition and flag side of the packs."""
    out = []
    for p in packs:
        for r in p.requirements:
            out += [(e.node, e.scope) for e in r.elements]
            if r.when is not None:
                out += [(n, r.when.scope) for n in (r.when.match, r.when.unless) if n is not None]
        for f in p.flags:
            out += [(n, f.scope) for _, n in f.sides]
    return out


def reference_find(node, doc: Doc, scope: str):
    """find as it was before match_set: every candidate sentence of the node's leaves evaluated in turn."""
    out, seen = [], set()
    cands = matcher.candidates(node, doc)
    if scope == "sentence":
        bound = doc.necessary(node)
        if bound is not None:
            cands = [i for i in cands if i in bound]
    for idx in cands:
        unit = doc.unit_span(scope, idx)
        if scope != "sentence" and unit in seen:
            continue
        r = node.eval(doc, unit, idx)
        if r is not None:
            seen.add(unit)
            out.append((idx, r))
    return out


@pytest.mark.parametrize("name, long_text", [("thorough-policy.md", False), ("gappy-policy.md", False),
                                             ("gappy-policy.md", True)])
def test_match_set_is_where_the_node_matches(packs, name, long_text, monkeypatch):
    """Doc.match_set (a node at a time over a set of sentences) gives exactly the sentences where evaluating
    the node over each one's unit matches, for every pattern of the packs and every kind of unit; also for a
    text too long for the tables by offset (long_text), where sentences are found by bisection."""
    if long_text:
        monkeypatch.setattr(matcher, "OFFSET_INDEX_MAX", 100)
    doc = checker.read_document(str(ROOT / "examples" / name))
    every = set(range(len(doc.sentences)))
    checked = matched = 0
    for ctx in ("sentence", "paragraph", "section"):
        by_set, by_anchor = Doc(doc), Doc(doc)
        assert (by_set._cover is None) == long_text and by_set._apart
        for node, _ in pack_nodes(packs):
            unit = node.scope or ctx
            want = {k for k in every if node.eval(by_anchor, by_anchor.unit_span(unit, k), k) is not None}
            assert by_set.match_set(node, every, ctx) == want
            assert by_set.match_set(node, set(range(0, len(every), 3)), ctx) == {k for k in want if k % 3 == 0}
            checked += 1
            matched += bool(want)
    assert checked > 400 and matched > 100


def with_all_hits(doc, leaves) -> Doc:
    """A Doc whose leaves' whole-text hits are all known before anything else is asked."""
    d = Doc(doc)
    for leaf in leaves:
        d.hits(leaf)
    return d


@pytest.mark.parametrize("name", ["thorough-policy.md", "gappy-policy.md"])
def test_find_gives_what_evaluating_every_candidate_gives(packs, name):
    """find equals evaluating every candidate in turn, and neither depends on what was asked before: a Doc
    that knows every leaf's whole-text hits finds the same as a fresh one."""
    doc = checker.read_document(str(ROOT / "examples" / name))
    nodes = pack_nodes(packs)
    leaves = matcher.leaves_of([n for n, _ in nodes])
    found = 0
    for node, scope in nodes:
        got = matcher.find(node, Doc(doc), scope)
        assert got == reference_find(node, Doc(doc), scope)
        assert got == matcher.find(node, with_all_hits(doc, leaves), scope)
        found += bool(got)
    assert found > 30


def test_a_regex_over_a_paragraph_reads_its_text_whatever_was_asked_before():
    """Over a paragraph a regex sees the list markers between sentences and may match across two sentences;
    its whole-text hits (sentence by sentence) cannot. Knowing those first must not change the paragraph's."""
    text = "We use it for these reasons:\n\n- To ship orders;\n- To bill you.\n\nOther.\n"
    doc = checker.read_document("policy.md", data=text.encode("utf-8"))
    leaf = matcher.compile_pattern({"regex": r"reasons:\s+-\s+to\b"}, {})
    para = Doc(doc).unit_span("paragraph", 0)
    fresh = Doc(doc).unit_hits(leaf, para, 0)
    assert fresh  # runs from the first sentence into the second
    known = Doc(doc)
    assert known.hits(leaf)[1] == []  # sentence by sentence: no such match
    assert known.unit_hits(leaf, para, 0) == fresh
