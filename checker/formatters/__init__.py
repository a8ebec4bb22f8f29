"""Output formats: one Result in, text (or PDF bytes) out. A dict registry keyed by format name and file
extension. html and pdf are audit reports written to files (-o); text, json, markdown, sarif and junit can
also go to stdout."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Union

from ..model import GapcheckError, Result
from . import html_format, json_format, jsonl_format, junit_format, markdown_format, pdf_format, sarif_format, text_format

Formatter = Callable[..., Union[str, bytes]]

FORMATTERS: dict[str, Formatter] = {
    "text": text_format.render,
    "json": json_format.render,
    "jsonl": jsonl_format.render,
    "markdown": markdown_format.render,
    "sarif": sarif_format.render,
    "junit": junit_format.render,
    "html": html_format.render,
    "pdf": pdf_format.render,  # bytes; imports WeasyPrint only when called
}

EXTENSIONS: dict[str, str] = {".json": "json", ".txt": "text", ".text": "text", ".html": "html", ".htm": "html",
                              ".pdf": "pdf", ".md": "markdown", ".markdown": "markdown", ".sarif": "sarif",
                              ".sarif.json": "sarif", ".xml": "junit", ".junit": "junit", ".jsonl": "jsonl",
                              ".ndjson": "jsonl"}

FILE_ONLY_FORMATS = ("html", "pdf")  # written with -o only (PDF is binary; both are documents, not terminal output)


def render(fmt: str, result: Result, **options) -> str | bytes:
    try:
        formatter = FORMATTERS[fmt]
    except KeyError:
        raise GapcheckError(f"unknown format '{fmt}' (available: {', '.join(FORMATTERS)})") from None
    return formatter(result, **options)


def _extension(path: str) -> str:
    name = Path(path).name.lower()
    return ".sarif.json" if name.endswith(".sarif.json") else Path(name).suffix


def format_for_path(path: str) -> str:
    ext = _extension(path)
    if ext not in EXTENSIONS:
        raise GapcheckError(f"{path}: cannot tell the output format from '{ext or 'no extension'}' "
                            f"(use one of {', '.join(sorted(EXTENSIONS))})")
    return EXTENSIONS[ext]


def output_formats(paths: tuple[str, ...] | list[str], fmt: str | None = None) -> dict[str, str]:
    """The format of each -o path: from its extension; with `fmt` html or pdf (--format), that format for every
    path, whose extension must then be that format's or none of the known ones. Raises before anything runs."""
    if fmt in FILE_ONLY_FORMATS:
        if not paths:
            raise GapcheckError(f"--format {fmt} writes a file: give -o PATH as well (for example -o report.{fmt})")
        out = {}
        for p in paths:
            ext = _extension(p)
            if ext in EXTENSIONS and EXTENSIONS[ext] != fmt:
                raise GapcheckError(f"{p}: the extension '{ext}' says {EXTENSIONS[ext]}, but --format is {fmt}")
            out[p] = fmt
        return out
    return {p: format_for_path(p) for p in paths}
