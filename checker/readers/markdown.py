"""Markdown (and reStructuredText kept under a .md name): headings become sections."""
from __future__ import annotations

from ..model import Block
from .lines import parse_lines


def parse(text: str) -> list[Block]:
    return parse_lines(text, markdown=True)
