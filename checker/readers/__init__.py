"""Readers turn input bytes into (decoded text, structural blocks). One module per format, one registry.

Every offset a reader returns points into the decoded text it returns, and that text is what reports quote.
A text format (Markdown, plain text) gives `parse(text) -> blocks` and is decoded here; a format that needs the
bytes (HTML with its declared charset, PDF, DOCX) gives `extract(data, name) -> (text, blocks)` and `sniff(data)`
(does the content look like this format?), used when the extension does not tell.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..model import Block, GapcheckError
from . import docx, html, markdown, pdf, plaintext
from .decode import decode_bytes, decode_detect


@dataclass(frozen=True)
class Reader:
    name: str
    extensions: tuple[str, ...]
    parse: Callable[[str], list[Block]] | None = None  # text formats: decoded text -> blocks
    extract: Callable[..., tuple[str, list[Block]]] | None = None  # bytes, name, encoding -> text, blocks
    sniff: Callable[[bytes], bool] | None = None  # does the content look like this format?


READERS: dict[str, Reader] = {
    "markdown": Reader("markdown", (".md", ".markdown", ".mdown", ".rst"), markdown.parse),
    "text": Reader("text", (".txt", ".text", ""), plaintext.parse),
    "html": Reader("html", (".html", ".htm", ".xhtml"), extract=html.extract, sniff=html.sniff),
    "pdf": Reader("pdf", (".pdf",), extract=pdf.extract, sniff=pdf.sniff),
    "docx": Reader("docx", (".docx",), extract=docx.extract, sniff=docx.sniff),
}

POLICY_EXTENSIONS = tuple(ext for r in READERS.values() for ext in r.extensions if ext)


def reader_for(name: str, data: bytes | None = None) -> Reader:
    """The reader for a file: a PDF or DOCX by its content whatever its name, else by extension; an unknown
    extension by content (HTML, else plain text if it decodes as text), else refused."""
    ext = Path(name).suffix.lower()
    if data is not None:
        # a PDF or DOCX by its first bytes (a text that merely mentions "%PDF-" further on stays text)
        if data.lstrip()[:5] == b"%PDF-" or (ext == ".pdf" and READERS["pdf"].sniff(data)):
            return READERS["pdf"]
        if data[:4] == b"PK\x03\x04" and READERS["docx"].sniff(data):
            return READERS["docx"]
    for reader in READERS.values():
        if ext in reader.extensions:
            return reader
    if data is not None:
        if READERS["html"].sniff(data):
            return READERS["html"]
        try:
            decode_bytes(data, name)
            return READERS["text"]
        except GapcheckError:
            pass
    raise GapcheckError(f"{name}: unsupported file type '{ext}', and the content is not recognisable as text, HTML, "
                        f"PDF or DOCX (supported: {', '.join(POLICY_EXTENSIONS)})")


# In text extracted from HTML, PDF or DOCX (which reports quote, but which is not the user's file), soft hyphens
# and zero-width characters are dropped and typographic ligatures spelt out, so that "infor\u00admation" and
# "\ufb01le" match like "information" and "file". (A Markdown or text policy is quoted exactly as written.)
_TIDY = {"\u00ad": "", "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",
         "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st",
         "\ufb06": "st"}
_TIDY_RX = re.compile("[" + "".join(_TIDY) + "]")


def tidy_extracted(text: str, blocks: list[Block]) -> tuple[str, list[Block]]:
    """Apply _TIDY and move every block offset with the text."""
    if not _TIDY_RX.search(text):
        return text, blocks
    pieces, shift_at, shift = [], [0], [0]  # offsets in the old text where the shift changes, and the shift
    pos = 0
    for m in _TIDY_RX.finditer(text):
        pieces.append(text[pos:m.start()])
        new = _TIDY[m.group()]
        pieces.append(new)
        pos = m.end()
        shift_at.append(pos)
        shift.append(shift[-1] + len(new) - 1)
    pieces.append(text[pos:])

    def moved(offset: int) -> int:
        return offset + shift[bisect_right(shift_at, offset) - 1]

    out = []
    for b in blocks:
        start, end = moved(b.start), moved(b.end)
        if end > start:
            out.append(Block(b.kind, start, end, b.level))
    return "".join(pieces), out


def read_bytes(data: bytes, name: str, encoding: str | None = None,
               fmt: str | None = None) -> tuple[str, str, list[Block], str | None]:
    """Decode and parse one input. Returns (text, format name, blocks, encoding read, or None for a binary
    format). Raises GapcheckError naming `name`."""
    reader = READERS[fmt] if fmt else reader_for(name, data)
    if reader.extract is not None:
        text, blocks = reader.extract(data, name, encoding)
        text, blocks = tidy_extracted(text, blocks)
        return text, reader.name, blocks, encoding
    text, used = decode_detect(data, name, encoding)
    return text, reader.name, reader.parse(text), used
