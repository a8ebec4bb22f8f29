"""Bytes -> text (checker.readers.decode.decode_bytes), exercised through checker.read_document."""
from __future__ import annotations

import codecs
import hashlib

import pytest

import checker
from checker import GapcheckError

POLICY = "# Privé policy\n\nWe keep your données safe.\n"


def read(data: bytes, name: str = "policy.md", **kw) -> checker.Document:
    return checker.read_document(name, data=data, **kw)


def error(data: bytes, name: str = "policy.md", **kw) -> str:
    with pytest.raises(GapcheckError) as info:
        read(data, name, **kw)
    return str(info.value)


def test_utf8_without_bom():
    data = POLICY.encode("utf-8")
    doc = read(data)
    assert doc.text == POLICY
    assert doc.sections[1].heading == "Privé policy"
    assert doc.sha256 == hashlib.sha256(data).hexdigest()


def test_utf8_bom_is_dropped_and_offsets_refer_to_the_text_without_it():
    data = codecs.BOM_UTF8 + POLICY.encode("utf-8")
    doc = read(data)
    assert doc.text == POLICY
    assert doc.sections[1].heading == "Privé policy"  # the '#' is at column 0 once the BOM is gone
    s = doc.sentences[1]
    assert doc.text[s.start:s.end] == "We keep your données safe."
    assert s.line == 3
    assert doc.sha256 == hashlib.sha256(data).hexdigest()  # hash of the bytes as given


@pytest.mark.parametrize("bom, codec", [
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
])
def test_utf16_with_bom(bom, codec):
    doc = read(bom + POLICY.encode(codec))
    assert doc.text == POLICY
    assert doc.sections[1].heading == "Privé policy"
    assert [doc.text[s.start:s.end] for s in doc.sentences] == ["Privé policy", "We keep your données safe."]


def test_invalid_utf8_names_the_file_and_suggests_encoding():
    data = "# Privé — “quoted”\n".encode("cp1252")
    msg = error(data, name="policies/acme.md")
    assert msg.startswith("policies/acme.md: not valid UTF-8 at byte 6")
    assert "--encoding" in msg


def test_invalid_utf8_read_from_disk_names_the_path(tmp_path):
    path = tmp_path / "legacy.txt"
    path.write_bytes(b"\xcf\xf0\xe8\xe2\xe5\xf2 policy\n")  # mostly high bytes: not a Western legacy text
    with pytest.raises(GapcheckError) as info:
        checker.read_document(str(path))
    assert str(info.value).startswith(f"{path}: not valid UTF-8 at byte 0")
    assert "--encoding" in str(info.value)
    path.write_bytes(b"caf\xe9 policy\n")  # a Latin-1 letter in English text: read as cp1252
    assert checker.read_document(str(path)).encoding == "cp1252 (detected)"


def test_explicit_cp1252_encoding():
    text = "# Privé — “quoted”\n\nWe don’t sell data.\n"
    doc = read(text.encode("cp1252"), encoding="cp1252")
    assert doc.text == text
    assert doc.sections[1].heading == "Privé — “quoted”"


def test_explicit_encoding_that_does_not_fit():
    msg = error("café\n".encode("cp1252"), encoding="utf-8")
    assert msg == "policy.md: not valid utf-8 at byte 3"


def test_unknown_encoding():
    assert error(b"hello\n", encoding="no-such-codec") == "policy.md: unknown encoding 'no-such-codec'"


@pytest.mark.parametrize("data", [
    b"# Policy\n\x00\x01binary",
    "# Policy\n".encode("utf-16-le"),  # UTF-16 without a BOM: NUL bytes
])
def test_nul_bytes_are_binary(data):
    assert error(data) == "policy.md: binary data, not a text policy"


def test_many_control_characters_are_binary():
    assert error(b"\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f" * 3 + b"hello") == "policy.md: binary data, not a text policy"


def test_a_few_control_characters_are_tolerated():
    doc = read(b"Page one.\x0c\nPage two has text in it.\n" + b"More words here. " * 10)
    assert doc.sentences[0].line == 1
    assert doc.text.startswith("Page one.\x0c\n")


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n  ", codecs.BOM_UTF8 + b"\n \n", codecs.BOM_UTF16_LE + " \n".encode("utf-16-le")])
def test_empty_or_whitespace_only(data):
    assert error(data, name="blank.md") == "blank.md: empty policy (no text)"


# ---------------------------------------------------------------- legacy encodings and extracted-text tidying

from checker.model import Block  # noqa: E402
from checker.readers import read_bytes, tidy_extracted  # noqa: E402
from checker.readers.decode import decode_detect  # noqa: E402


def test_legacy_windows_text_is_detected_as_cp1252():
    data = "We don\u2019t sell your data \u2013 ever. Caf\u00e9 users may ask us to delete it.\n".encode("cp1252")
    text, used = decode_detect(data, "p.txt")
    assert used == "cp1252 (detected)" and "don\u2019t" in text and "Caf\u00e9" in text


def test_other_legacy_scripts_are_refused_with_advice():
    data = "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440 \u043a\u0430\u043a \u0434\u0435\u043b\u0430".encode("cp1251")
    with pytest.raises(GapcheckError, match=r"p.txt: not valid UTF-8 at byte 0 \(give the encoding with --encoding"):
        decode_detect(data, "p.txt")
    text, used = decode_detect(data, "p.txt", "cp1251")
    assert used == "cp1251" and text.startswith("\u041f\u0440\u0438")


@pytest.mark.parametrize("codec, expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8"), ("utf-16", "utf-16"),
                                             ("utf-32", "utf-32")])
def test_encoding_reported(codec, expected):
    text, fmt, blocks, used = read_bytes("# Privacy\n\nWe keep data.\n".encode(codec), "p.md")
    assert used == expected and text.startswith("# Privacy")


def test_extracted_text_drops_soft_hyphens_and_spells_out_ligatures_keeping_blocks_aligned():
    t = "Intro\n\nThe \ufb01le holds infor\u00admation.\n\nEnd"
    para = "The \ufb01le holds infor\u00admation."
    blocks = [Block("heading", 0, 5, 1), Block("paragraph", 7, 7 + len(para)), Block("paragraph", len(t) - 3, len(t))]
    text, moved = tidy_extracted(t, blocks)
    assert text == "Intro\n\nThe file holds information.\n\nEnd"
    assert [text[b.start:b.end] for b in moved] == ["Intro", "The file holds information.", "End"]
