"""Readers turn input bytes into (decoded text, structural blocks). One module per format, one registry.

Every offset a reader returns points into the decoded text it returns, and that text is what reports quote.
A text format (Markdown, plain text) gives `parse(text) -> blocks` and is decoded here; a format that needs the
bytes (HTML with its declared charset, PDF, DOCX) gives `extract(data, name) -> (text, blocks)` and `sniff(data)`
(does the content look like this format?), used when the extension does not tell.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..model import Block, GapcheckError
from . import html, markdown, plaintext
from .decode import decode_bytes


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
}

POLICY_EXTENSIONS = tuple(ext for r in READERS.values() for ext in r.extensions if ext)


BINARY_FORMATS = ("pdf", "docx")  # recognised by their bytes whatever the file is called


def reader_for(name: str, data: bytes | None = None) -> Reader:
    """The reader for a file: a PDF or DOCX by its content whatever its name, else by extension; an unknown
    extension by content (HTML, else plain text if it decodes as text), else refused."""
    if data is not None:
        for fmt in BINARY_FORMATS:
            reader = READERS.get(fmt)
            if reader is not None and reader.sniff is not None and reader.sniff(data):
                return reader
    ext = Path(name).suffix.lower()
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


def read_bytes(data: bytes, name: str, encoding: str | None = None, fmt: str | None = None) -> tuple[str, str, list[Block]]:
    """Decode and parse one input. Returns (text, format name, blocks). Raises GapcheckError naming `name`."""
    reader = READERS[fmt] if fmt else reader_for(name, data)
    if reader.extract is not None:
        text, blocks = reader.extract(data, name, encoding)
        return text, reader.name, blocks
    text = decode_bytes(data, name, encoding)
    return text, reader.name, reader.parse(text)
