"""Output formats: one Result in, text out. A dict registry keyed by format name and file extension."""
from __future__ import annotations

from typing import Callable

from ..model import GapcheckError, Result
from . import json_format, text_format

Formatter = Callable[..., str]

FORMATTERS: dict[str, Formatter] = {
    "text": text_format.render,
    "json": json_format.render,
}

EXTENSIONS: dict[str, str] = {".json": "json", ".txt": "text", ".text": "text"}


def render(fmt: str, result: Result, **options) -> str:
    try:
        formatter = FORMATTERS[fmt]
    except KeyError:
        raise GapcheckError(f"unknown format '{fmt}' (available: {', '.join(FORMATTERS)})") from None
    return formatter(result, **options)


def format_for_path(path: str) -> str:
    from pathlib import Path

    ext = Path(path).suffix.lower()
    if ext not in EXTENSIONS:
        raise GapcheckError(f"{path}: cannot tell the output format from '{ext or 'no extension'}' "
                            f"(use one of {', '.join(sorted(EXTENSIONS))})")
    return EXTENSIONS[ext]
