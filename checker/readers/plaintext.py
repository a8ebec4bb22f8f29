"""Plain text: headings are recovered from numbered clauses, ALL-CAPS lines and underlined titles."""
from __future__ import annotations

from ..model import Block
from .lines import parse_lines


def parse(text: str) -> list[Block]:
    return parse_lines(text, markdown=False)
