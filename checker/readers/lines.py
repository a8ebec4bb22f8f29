"""A line-oriented block parser shared by the plain-text and Markdown readers.

It recognises headings (Markdown `#`, underlined/setext and reStructuredText titles, numbered clauses such as
"6.2 Deletion", ALL-CAPS lines, whole-line bold), list items, table rows and paragraphs, and returns blocks
whose offsets point at the content (markers such as `#`, `- ` or `**` left outside the span).
"""
from __future__ import annotations

import re

from ..model import Block

_LINE = re.compile(r"[^\n]*\n|[^\n]+$")
_ATX = re.compile(r"^( {0,3})(#{1,6})[ \t]+(.*?)[ \t#]*$")
_UNDERLINE = re.compile(r"^[ \t]*([=\-~^*#\"+'])\1{2,}[ \t]*$")
_ITEM = re.compile(r"^([ \t]*)(?:[-*+\u2022\u25cf\u25aa\u2013\u00b7\u25e6\u25ba\u2023\u2043\u2219\u27a2\u25a0\u25a1\u2714\u2713]|\d{1,3}[.)]|[a-zA-Z][.)]|\((?:[a-zA-Z]|[ivxIVX]{1,4}|\d{1,3})\))[ \t]+(?=\S)")
_NUMBERED_HEADING = re.compile(r"^[ \t]*((?:\d{1,2}\.)*\d{1,2})\.?[ \t]+(?=[A-Z\u00C0-\u024F])(.{1,90})$")
_BOLD_LINE = re.compile(r"^[ \t]*(\*\*|__)(?=\S)(.{1,120}?)(?<=\S)\1[ \t]*:?[ \t]*$")
_TABLE_SEP = re.compile(r"^[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*$")
_COMMENT_START = "<!--"
_FENCE = re.compile(r"^[ \t]*(```|~~~)")
_TERMINAL = ".;,:?!"


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " \t\r\n":
        start += 1
    while end > start and text[end - 1] in " \t\r\n":
        end -= 1
    return start, end


def _is_caps_heading(content: str) -> bool:
    letters = [c for c in content if c.isalpha()]
    if len(letters) < 4 or len(content) > 80 or content.rstrip()[-1:] in ".;,":
        return False
    return all(not c.islower() for c in letters) and len(content.split()) <= 10


def _is_numbered_heading(content: str) -> bool:
    m = _NUMBERED_HEADING.match(content)
    if not m:
        return False
    rest = m.group(2).rstrip()
    # "55 Almaden Blvd, Suite 600" and "2 Pembroke House, Dublin 2" are address lines, not clauses
    if "," in rest or rest[-1:].isdigit():
        return False
    return len(rest.split()) <= 10 and rest[-1:] not in _TERMINAL


def parse_lines(text: str, markdown: bool) -> list[Block]:
    """Split text into heading / paragraph / item blocks."""
    lines = [(m.start(), m.group()) for m in _LINE.finditer(text)]
    blocks: list[Block] = []
    para: list[int] = []  # [start, end] of the open paragraph or item
    para_kind = "paragraph"
    para_level = 0
    base_level = 0  # level of the last explicit (Markdown/underlined) heading
    in_comment = False
    in_fence = False
    adornments: dict[tuple[str, bool], int] = {}  # reST: a title style's level is the order it first appears

    def adornment_level(char: str, overline: bool) -> int:
        return adornments.setdefault((char, overline), len(adornments) + 1)

    def flush() -> None:
        nonlocal para, para_kind
        if para:
            s, e = _strip_span(text, para[0], para[1])
            if s < e:
                blocks.append(Block(para_kind, s, e, para_level))
        para = []
        para_kind = "paragraph"

    def heading(start: int, end: int, level: int) -> None:
        s, e = _strip_span(text, start, end)
        if s < e:
            blocks.append(Block("heading", s, e, level))

    i = 0
    while i < len(lines):
        off, raw = lines[i]
        line = raw.rstrip("\r\n")
        end = off + len(line)
        stripped = line.strip()
        i += 1
        if in_comment:
            if "-->" in line:
                in_comment = False
            continue
        if markdown and stripped.startswith(_COMMENT_START):
            flush()
            in_comment = "-->" not in stripped
            continue
        # reStructuredText title with an overline: ~~~~ / Title / ~~~~ (not a code fence)
        if _UNDERLINE.match(line) and i + 1 < len(lines) and not para:
            title = lines[i][1].rstrip("\r\n")
            under = lines[i + 1][1].rstrip("\r\n")
            if title.strip() and _UNDERLINE.match(under) and under.strip()[0] == stripped[0] and len(title.strip()) <= 120:
                flush()
                toff = lines[i][0]
                level = adornment_level(stripped[0], True)
                heading(toff, toff + len(title), level)
                base_level = level
                i += 2
                continue
        if markdown and _FENCE.match(line):
            flush()
            in_fence = not in_fence
            continue
        if in_fence:
            flush()
            if stripped:
                blocks.append(Block("paragraph", *_strip_span(text, off, end)))
            continue
        if not stripped:
            flush()
            continue
        # underline on the next line makes this line a heading (setext / reStructuredText)
        if i < len(lines) and not para:
            nxt = lines[i][1].rstrip("\r\n")
            if _UNDERLINE.match(nxt) and len(stripped) <= 120 and not _ITEM.match(line):
                level = adornment_level(nxt.strip()[0], False)
                heading(off, end, level)
                base_level = level
                i += 1
                continue
        if _UNDERLINE.match(line):  # a rule line or a reST overline
            flush()
            continue
        if markdown:
            m = _ATX.match(line)
            if m:
                flush()
                level = len(m.group(2))
                heading(off + m.start(3), off + m.end(3), level)
                base_level = level
                continue
            if _TABLE_SEP.match(line):
                flush()
                continue
            if stripped.startswith("|"):
                flush()
                s = off + line.index("|") + 1
                e = end - 1 if stripped.endswith("|") else end
                s, e = _strip_span(text, s, e)
                if s < e:
                    blocks.append(Block("paragraph", s, e, 0))
                continue
            m = _BOLD_LINE.match(line)
            if m and not para:
                flush()
                heading(off + m.start(2), off + m.end(2), base_level + 1)
                continue
        # "1. Name" straight after "We collect:" or after another item is a list item, not a clause heading
        in_list = para_kind == "item" or bool(para and text[para[0]:para[1]].rstrip("*_ ").endswith(":"))
        if (not para or para_kind == "item" or _ITEM.match(line)) and not (in_list and _ITEM.match(line)):
            if _is_numbered_heading(line):
                flush()
                depth = _NUMBERED_HEADING.match(line).group(1).count(".")
                m = _NUMBERED_HEADING.match(line)
                heading(off + line.index(m.group(1)), end, base_level + 1 + depth)
                continue
            if not para and _is_caps_heading(stripped) and not _ITEM.match(line):
                flush()
                heading(off, end, base_level + 1)
                continue
        m = _ITEM.match(line)
        if m:
            flush()
            para = [off + m.end(), end]
            para_kind = "item"
            para_level = len(m.group(1).expandtabs(4)) // 2
            continue
        if para:
            para[1] = end
        else:
            para = [off, end]
    flush()
    return blocks


def assemble_blocks(blocks) -> tuple[str, list[Block]]:
    """Text and Blocks from (kind, level, label, body) tuples, as the HTML and DOCX readers extract them: items
    and table rows one per line, other blocks a blank line apart; an item's label (bullet or number) goes before
    it, outside its span, another block's label (a heading number) inside; a row is a paragraph."""
    pieces: list[str] = []
    spans: list[Block] = []
    pos = 0
    prev = None
    for kind, level, label, body in blocks:
        if pieces:
            glue = "\n" if kind == prev and kind in ("item", "row") else "\n\n"
            pieces.append(glue)
            pos += len(glue)
        prev = kind
        lead = f"{label} " if label else ""
        pieces.append(lead + body)
        start = pos + (len(lead) if kind == "item" else 0)
        pos += len(lead) + len(body)
        spans.append(Block("paragraph" if kind == "row" else kind, start, pos, level))
    return "".join(pieces) + "\n", spans
