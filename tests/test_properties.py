"""Property-based tests (hypothesis): the document model and the readers never raise anything but a one-line
GapcheckError on arbitrary input, and every offset they give is valid; the YAML loaders (rule packs, waivers,
configuration) refuse malformed files with file:line and nothing else."""
from __future__ import annotations

import random
import string
from pathlib import Path

import pytest

import hypothesis  # noqa: F401 - a dev dependency
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import checker  # noqa: E402
from checker.api import check_document, read_document  # noqa: E402
from checker.config import load_config  # noqa: E402
from checker.model import GapcheckError  # noqa: E402
from checker.readers import read_bytes  # noqa: E402
from checker.waivers import load_waivers  # noqa: E402

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                            HealthCheck.function_scoped_fixture])

# text that looks like a policy: words from the rules' vocabulary, Markdown markers, odd characters
WORDS = ["we", "you", "may", "delete", "personal", "data", "right", "to", "erasure", "access", "sell", "not",
         "California", "GDPR", "Art.", "17", "#", "##", "-", "*", "|", "1.", "(a)", "\n", "\n\n", "  ", "\t",
         "\u00a0", "\u00ad", "\ufb01", "\u201c", "\u201d", "\u2019", "<!--", "-->", "**", "`", "\r\n", "\u0130"]
policy_text = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=12)), max_size=200).map(" ".join)


def _check_offsets(doc) -> None:
    n = len(doc.text)
    assert len(doc.norm) == n
    assert doc.line_starts[0] == 0 and list(doc.line_starts) == sorted(doc.line_starts)
    for s in doc.sentences:
        assert 0 <= s.start < s.end <= n
        assert doc.line_of(s.start) == s.line
        assert 0 <= s.section < len(doc.sections) and 0 <= s.paragraph < len(doc.paragraphs)
    for p in doc.paragraphs:
        assert 0 <= p.start <= p.end <= n
    for sec in doc.sections:
        assert 0 <= sec.start <= sec.end <= n


@SETTINGS
@given(text=policy_text, name=st.sampled_from(["p.md", "p.txt", "p.rst", "p"]))
def test_any_text_gives_valid_offsets_or_a_clean_refusal(text, name, packs):
    try:
        doc = read_document(name, data=text.encode("utf-8"))
    except GapcheckError as e:
        assert "\n" not in str(e) and str(e).startswith(name)
        return
    _check_offsets(doc)
    report = check_document(doc, packs)
    for f in report.findings:
        for ev in f.evidence:
            assert doc.text[ev.start:ev.end] == ev.quote and doc.line_of(ev.start) == ev.line
            assert all(ev.start <= a <= b <= ev.end for a, b in ev.highlights)


@SETTINGS
@given(data=st.binary(max_size=3000), name=st.sampled_from(["p.md", "p.txt", "p.html", "p.pdf", "p.docx", "p"]))
def test_any_bytes_are_read_or_refused_in_one_line(data, name):
    try:
        text, fmt, blocks, _ = read_bytes(data, name)
    except GapcheckError as e:
        assert "\n" not in str(e) and str(e).startswith(name)
        return
    for b in blocks:
        assert 0 <= b.start <= b.end <= len(text)


@SETTINGS
@given(encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252", "latin-1"]),
       text=policy_text)
def test_declared_encodings_round_trip(encoding, text):
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return
    try:
        doc = read_document("p.md", data=data, encoding=encoding)
    except GapcheckError:
        return
    expected = text[1:] if text.startswith("\ufeff") else text
    assert doc.text == expected
    _check_offsets(doc)


# ---------------------------------------------------------------- malformed YAML: packs, waivers, configuration

VALID_RULE = (Path(checker.__file__).resolve().parent.parent / "rules" / "gdpr" / "right_to_erasure.yaml")


def _mutations(text: str, seed: int, n: int = 3) -> str:
    rnd = random.Random(seed)
    chars = list(text)
    for _ in range(n):
        op = rnd.randrange(4)
        i = rnd.randrange(len(chars) + 1)
        if op == 0 and chars:
            del chars[min(i, len(chars) - 1)]
        elif op == 1:
            chars.insert(i, rnd.choice(string.printable + "\u00e9\u2028\x00:{}[]&*!|>-#%@`'\""))
        elif op == 2 and chars:
            j = min(i, len(chars) - 1)
            chars[j] = rnd.choice(":-[]{} \n\t")
        else:
            k = rnd.randrange(len(chars) + 1)
            chars[i:i] = chars[k:k + rnd.randrange(1, 40)]
    return "".join(chars)


@pytest.fixture(scope="module")
def rule_source() -> str:
    return VALID_RULE.read_text("utf-8") if VALID_RULE.is_file() else ""


@SETTINGS
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_mutated_rule_files_load_or_fail_with_file_and_line(seed, tmp_path_factory, rule_source):
    if not rule_source:
        pytest.skip("rules/gdpr/right_to_erasure.yaml not found")
    folder = tmp_path_factory.mktemp("pack")
    (folder / "gdpr").mkdir()
    (folder / "gdpr" / "pack.yaml").write_text('regime: gdpr\ntitle: Fuzz\nversion: "1.0.0"\n', "utf-8")
    (folder / "gdpr" / "right_to_erasure.yaml").write_bytes(_mutations(rule_source, seed).encode("utf-8", "surrogatepass"))
    try:
        checker.load_packs([folder], ["gdpr"])
    except GapcheckError as e:
        assert "\n" not in str(e) and "right_to_erasure.yaml" in str(e)


yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.sampled_from(["id", "reason", "expires", "documents", "approved_by",
                                                                "waivers", "regime", "fail_on", "min_score", "x"]),
                                               children, max_size=5)),
    max_leaves=20)


@SETTINGS
@given(value=yaml_values)
def test_any_yaml_waivers_or_config_is_accepted_or_refused_with_file_and_line(value, tmp_path_factory):
    import yaml

    folder = tmp_path_factory.mktemp("y")
    path = folder / "w.yaml"
    path.write_text(yaml.safe_dump(value, allow_unicode=True), "utf-8")
    for load in (load_waivers, load_config):
        try:
            load(path)
        except GapcheckError as e:
            assert "\n" not in str(e) and "w.yaml" in str(e)
