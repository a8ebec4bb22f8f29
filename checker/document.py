"""Text + reader blocks -> Document: sections, paragraphs and sentences with offsets and line numbers."""
from __future__ import annotations

import re

from .model import Block, Document, Paragraph, Section, Sentence

# Same-length normalisation for matching: typographic quotes, dashes and spaces become ASCII, so every
# offset in the normalised text is also an offset in the original (quotes stay exact).
_NORMALISE = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u200a": " ", "\u2002": " ", "\u2003": " ",
    "\u3000": " ", "\t": " ", "\u00ad": "-", "\u200b": " ", "\u200d": " ", "\ufeff": " ",
})

_ABBREVIATIONS = frozenset(
    "e.g i.e etc inc ltd llc co corp no nos art arts sec secs para paras mr mrs ms dr st vs cf approx incl "
    "u.s u.k e.u eea jan feb mar apr jun jul aug sep sept oct nov dec fig ca cal civ reg regs seq et al p pp "
    "attn dept tel ph fax ext approx est corp bldg ste blvd ave rd st mt ft govt intl".split()
)
_SENT_END = re.compile(r"[.!?]+[\"')\]\u201d\u2019*_]*(?=\s+[\"'(\[\u201c\u2018*_]*[A-Z0-9\u00C0-\u024F])")
_WORD_BEFORE = re.compile(r"([\w.]+)$")
_INITIALS = re.compile(r"^(?:[a-z]\.)+[a-z]$")  # "A.D.", "J.R.R." before a name
_WORD = re.compile(r"\S+")


_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)


def normalise(text: str) -> str:
    return text.translate(_NORMALISE)


def _blank_comments(norm: str) -> str:
    """HTML comments are not policy text: blank them (same length) so no pattern sees a drafting note."""
    return _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), norm)


def _split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    pos = start
    chunk = text[start:end]
    for m in _SENT_END.finditer(chunk):
        cut = start + m.end()
        if text[start + m.start()] == ".":
            w = _WORD_BEFORE.search(text, pos, start + m.start())
            word = w.group(1).lower().rstrip(".") if w else ""
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()) or _INITIALS.match(word):
                continue
        spans.append((pos, cut))
        pos = cut
        while pos < end and text[pos].isspace():
            pos += 1
    if pos < end:
        spans.append((pos, end))
    return [(s, e) for s, e in spans if e > s]


def _heading_text(text: str, block: Block) -> str:
    return " ".join(text[block.start:block.end].strip("*_ \t").split())


def segment(text: str, blocks: list[Block], path: str, fmt: str, sha256: str, encoding: str | None = None) -> Document:
    """`sha256` is the hash of the input as given (bytes), the one a user can reproduce with sha256sum."""
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    # sections: one per heading, plus a preamble section 0 for text before the first heading
    sections: list[dict] = [{"heading": "", "level": 0, "start": 0, "parent": None, "path": ()}]
    stack = [0]
    block_section: list[int] = []
    for b in blocks:
        if b.kind == "heading":
            while len(stack) > 1 and sections[stack[-1]]["level"] >= b.level:
                stack.pop()
            parent = stack[-1]
            title = _heading_text(text, b)
            sections.append({
                "heading": title, "level": b.level, "start": b.start, "parent": parent,
                "path": sections[parent]["path"] + (title,),
            })
            stack.append(len(sections) - 1)
        block_section.append(stack[-1])
    # a section ends where the next section of the same or a higher level starts
    ends = [len(text)] * len(sections)
    open_: list[int] = []
    for idx in range(1, len(sections)):
        lvl = sections[idx]["level"]
        while open_ and sections[open_[-1]]["level"] >= lvl:
            ends[open_.pop()] = sections[idx]["start"]
        open_.append(idx)
    section_objs = tuple(
        Section(i, s["heading"], s["level"], s["start"], ends[i], s["parent"], s["path"]) for i, s in enumerate(sections)
    )

    # paragraphs: a block; a lead-in ending with ':' and the list items after it form one paragraph
    paragraphs: list[list[int]] = []  # [start, end, section]
    block_para: list[int] = []
    prev: Block | None = None
    for b, sec in zip(blocks, block_section):
        joins = (
            prev is not None and b.kind == "item" and paragraphs and paragraphs[-1][2] == sec
            and (prev.kind == "item" or (prev.kind == "paragraph" and text[prev.start:prev.end].rstrip("*_ ").endswith(":")))
        )
        if joins:
            paragraphs[-1][1] = b.end
        else:
            paragraphs.append([b.start, b.end, sec])
        block_para.append(len(paragraphs) - 1)
        prev = b
    para_objs = tuple(Paragraph(i, p[0], p[1], p[2]) for i, p in enumerate(paragraphs))

    from bisect import bisect_right

    sentences: list[Sentence] = []
    for b, sec, par in zip(blocks, block_section, block_para):
        spans = [(b.start, b.end)] if b.kind == "heading" else _split_sentences(text, b.start, b.end)
        for s, e in spans:
            sentences.append(Sentence(len(sentences), s, e, bisect_right(line_starts, s), sec, par, b.kind == "heading"))

    return Document(
        path=path,
        text=text,
        format=fmt,
        sha256=sha256,
        words=sum(1 for _ in _WORD.finditer(text)),
        sections=section_objs,
        paragraphs=para_objs,
        sentences=tuple(sentences),
        line_starts=tuple(line_starts),
        norm=_blank_comments(normalise(text)) if fmt == "markdown" else normalise(text),
        encoding=encoding,
    )
