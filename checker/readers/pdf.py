"""PDF: the text layer, read with pypdfium2 (PDFium), rebuilt into headings, paragraphs, list items and table rows.

Kept: every visible or invisible text character (an OCR layer counts), in reading order top to bottom on each page.
Lines of one paragraph are joined with spaces ("infor-" + "mation" -> "information"); a paragraph breaks on a
vertical gap, a first-line indent or a short last line; a page break is a paragraph break unless the sentence
runs on. Headings: lines set noticeably larger than the body text (level by size rank) or wholly bold short
lines. List items: lines starting with a bullet, "1." or "(a)", level by indent. Table rows (columns found from
aligned gaps): one line each, cells joined with " | ".
Dropped: running headers and footers (the same short line at the top or bottom of most pages, digits aside),
page numbers ("3", "Page 3 of 12", "- 3 -"), images, annotations and form fields.
Refused: encrypted PDFs that need a password, PDFs without a text layer, corrupt PDFs, and PDFs past the guards
(pages, characters, inflated stream size, time) so a hostile file cannot hang a run.
Not handled: several text columns on one page (read across, line by line), vertical and right-to-left text.
"""
from __future__ import annotations

import ctypes
import re
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field

from ..model import Block, GapcheckError

MAX_PAGES = 2000
MAX_CHARS_PER_PAGE = 100_000
MAX_CHARS = 10_000_000
MAX_SECONDS = 60.0
MAX_UNPACKED = 256 * 1024 * 1024  # bytes: Flate streams other than images, all together

_BULLET = "-*+\u2022\u25cf\u25aa\u2013\u00b7\u25e6\u25ba\u2023\u2043\u2219\u27a2\u25a0\u25a1\u2714\u2713\uf0b7\uf0a7"
_ITEM = re.compile(r"^(?:[" + re.escape(_BULLET) + r"]|\d{1,3}[.)]|[a-zA-Z][.)]|\((?:[a-zA-Z]|[ivxIVX]{1,4}|\d{1,3})\))"
                   r"[ \t]+(?=\S)")
_PAGE_NUMBER = re.compile(
    r"^(?:page\s*)?[-\u2013\u2014(\[]?\s*\d{1,4}\s*[-\u2013\u2014)\]]?(?:\s*(?:of|/)\s*\d{1,4})?$", re.I)
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demibold|extrabold|[-,]bd\b|\bbd$", re.I)
_HYPHENS = "-\u2010\u00ad\x02"
_TERMINAL = ".!?:;"
_FORCE_BOLD = 0x40000
_URL_BREAK = re.compile(r"(?:https?:/|\bwww\.)\S*[/.=&?#_-]$")
_HEADER = re.compile(rb"%PDF-\d\.\d")
_STREAM = re.compile(rb"(?<!end)stream\r?\n")


@dataclass
class _Line:
    page: int
    y: float  # baseline
    x0: float
    x1: float
    size: float
    bold: bool
    segments: list[tuple[float, str]]  # (x of the first character, text); more than one: gaps like table cells
    text: str = ""
    body_x: float = 0.0  # x where the text proper starts (after a list marker)
    first_w: float = 0.0  # width of the first word: would it have fitted at the end of the line before?
    row: str | None = None  # set when the line is a table row


@dataclass
class _Block:
    kind: str
    level: int
    parts: list[str] = field(default_factory=list)
    last: _Line | None = None
    first: _Line | None = None
    glue: str = "\n\n"  # separator before this block


def sniff(data: bytes) -> bool:
    return _HEADER.search(data[:1024]) is not None


def extract(data: bytes, name: str, encoding: str | None = None) -> tuple[str, list[Block]]:
    """`encoding` is accepted for the registry's sake and ignored: the format says how its text is encoded."""
    try:
        import pypdfium2 as pdfium
    except ImportError:  # pragma: no cover - a broken install
        raise GapcheckError(f"{name}: reading PDF needs the pypdfium2 package (pip install pypdfium2)") from None
    _check_streams(data, name)
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        if getattr(e, "err_code", None) == 4:  # FPDF_ERR_PASSWORD: a user password we do not have
            raise GapcheckError(f"{name}: encrypted PDF, cannot read it") from None
        raise GapcheckError(f"{name}: not a valid PDF ({_reason(e)})") from None
    except Exception as e:  # noqa: BLE001 - never let a library error escape
        raise GapcheckError(f"{name}: not a valid PDF ({_reason(e)})") from None
    try:
        pages, images = _read_pages(doc, name)
        text, blocks = _layout(pages)
    except GapcheckError:
        raise
    except Exception as e:  # noqa: BLE001
        raise GapcheckError(f"{name}: not a valid PDF ({_reason(e)})") from None
    finally:
        doc.close()
    if sum(ch.isalpha() for ch in text) < 20 and images:
        raise GapcheckError(f"{name}: no text layer (a scanned or image-only PDF); run OCR first")
    if not blocks:
        raise GapcheckError(f"{name}: empty policy (no text)")
    return text, blocks


def _check_streams(data: bytes, name: str) -> None:
    """Refuse a decompression bomb before PDFium inflates it: sum what the Flate streams (images aside, which
    text extraction never decodes) unpack to, stopping at the limit. Encrypted streams do not inflate and pass."""
    total = 0
    for m in _STREAM.finditer(data):
        head = data[max(0, m.start() - 1024):m.start()]
        head = head[head.rfind(b"obj") + 1:]
        if b"Flate" not in head or b"/Image" in head:
            continue
        inflater = zlib.decompressobj()
        pos = m.end()
        pending = b""
        try:
            while not inflater.eof:
                if not pending:
                    if pos >= len(data):
                        break
                    pending, pos = data[pos:pos + 65536], pos + 65536
                total += len(inflater.decompress(pending, 1 << 20))
                pending = inflater.unconsumed_tail
                if total > MAX_UNPACKED:
                    raise GapcheckError(
                        f"{name}: compressed streams unpack to more than {MAX_UNPACKED // (1024 * 1024)} MB; refused")
        except zlib.error:
            continue


def _reason(e: Exception) -> str:
    msg = " ".join(str(e).split()) or type(e).__name__
    msg = re.sub(r"^Failed to load document \(PDFium: (.*)\)\.?$", r"\1", msg)
    return msg[:120]


# -- characters -> lines ------------------------------------------------------------------------------------


def _read_pages(doc, name: str) -> tuple[list[list[_Line]], int]:
    import pypdfium2.raw as raw

    count = len(doc)
    if count > MAX_PAGES:
        raise GapcheckError(f"{name}: {count} pages, more than the {MAX_PAGES:,} a policy may have; refused")
    deadline = time.monotonic() + MAX_SECONDS
    pages: list[list[_Line]] = []
    images = 0
    total = 0
    ox, oy = ctypes.c_double(), ctypes.c_double()
    rect = raw.FS_RECTF()  # the loose box: the advance, not the ink, so "`" or "." leave no false gap
    matrix = raw.FS_MATRIX()
    buf = ctypes.create_string_buffer(256)
    flags = ctypes.c_int()
    flags_ref = ctypes.byref(flags)
    bold_fonts: dict[tuple[bytes, int], bool] = {}
    unicode_of, generated, origin = raw.FPDFText_GetUnicode, raw.FPDFText_IsGenerated, raw.FPDFText_GetCharOrigin
    box, matrix_of = raw.FPDFText_GetLooseCharBox, raw.FPDFText_GetMatrix
    size_of, font_of = raw.FPDFText_GetFontSize, raw.FPDFText_GetFontInfo
    for index in range(count):
        if time.monotonic() > deadline:
            raise GapcheckError(
                f"{name}: reading took longer than {MAX_SECONDS:.0f} s (at page {index + 1} of {count}); refused")
        page = doc[index]
        textpage = page.get_textpage()
        try:
            tp = textpage.raw
            n = raw.FPDFText_CountChars(tp)
            total += max(n, 0)
            if n > MAX_CHARS_PER_PAGE or total > MAX_CHARS:
                raise GapcheckError(f"{name}: page {index + 1} holds more text than a policy could; refused")
            if n < 200:  # a scanned page: an image and at most a stamp of text
                images += sum(1 for i in range(min(raw.FPDFPage_CountObjects(page.raw), 10_000))
                              if raw.FPDFPageObj_GetType(raw.FPDFPage_GetObject(page.raw, i)) == raw.FPDF_PAGEOBJ_IMAGE)
            chars = []
            for i in range(n):
                code = unicode_of(tp, i)
                if code in (0, 0xFFFE, 0xFFFF) or (code < 32 and code != 2) or generated(tp, i) == 1:
                    continue
                ch = chr(code)
                box(tp, i, rect)
                origin(tp, i, ox, oy)
                matrix_of(tp, i, matrix)  # the size as drawn: "/F1 1 Tf" scaled by the matrix is common
                size = size_of(tp, i) * ((matrix.b * matrix.b + matrix.d * matrix.d) ** 0.5 or 1.0)
                font_of(tp, i, buf, 256, flags_ref)
                key = (buf.value, flags.value)
                bold = bold_fonts.get(key)
                if bold is None:
                    bold = bool(_BOLD_FONT.search(key[0].decode("latin-1"))) or bool(key[1] & _FORCE_BOLD)
                    bold_fonts[key] = bold
                x0 = min(rect.left, rect.right)
                chars.append((ch, x0, max(rect.left, rect.right), oy.value, size if size > 0 else 10.0, bold))
            pages.append(_lines(chars, index))
        finally:
            textpage.close()
            page.close()
    return pages, images


def _lines(chars: list[tuple], page: int) -> list[_Line]:
    """Group a page's characters into visual lines (same baseline), each split into segments at wide gaps."""
    frags: list[list[tuple]] = []  # runs of characters in content order on one baseline
    for c in chars:
        if frags:
            p = frags[-1][-1]
            if abs(c[3] - p[3]) <= 0.3 * max(c[4], p[4]) and c[1] >= p[1] - 0.5 * c[4] and c[1] - p[2] < 3 * c[4]:
                frags[-1].append(c)
                continue
        frags.append([c])
    frags.sort(key=lambda f: (-f[0][3], f[0][1]))
    rows: list[list[list[tuple]]] = []
    for f in frags:
        if rows and abs(rows[-1][0][0][3] - f[0][3]) <= 0.3 * f[0][4]:
            rows[-1].append(f)
        else:
            rows.append([f])
    lines = []
    for row in rows:
        row_chars = [c for f in sorted(row, key=lambda f: f[0][1]) for c in f]
        segments: list[tuple[float, str]] = []
        cur: list[str] = []
        seg_x = row_chars[0][1]
        prev = None
        spaced = False
        for c in row_chars:
            if c[0].isspace():
                spaced = True
                continue
            if prev is not None:
                gap = c[1] - prev[2]
                em = max(c[4], prev[4])
                if gap > (2.0 if spaced else 0.5) * em:
                    segments.append((seg_x, "".join(cur)))
                    cur, seg_x = [], c[1]
                elif spaced or gap > 0.15 * em:
                    cur.append(" ")
            cur.append(c[0])
            prev, spaced = c, False
        if cur:
            segments.append((seg_x, "".join(cur)))
        ink = [c for c in row_chars if not c[0].isspace()]
        if not ink:
            continue
        sizes = Counter(round(c[4] * 2) / 2 for c in ink)
        line = _Line(
            page=page, y=row[0][0][3], x0=ink[0][1], x1=max(c[2] for c in ink), size=sizes.most_common(1)[0][0],
            bold=sum(c[5] for c in ink) >= 0.9 * len(ink), segments=segments,
        )
        line.text = " ".join(s for _, s in segments)
        first = len(line.text.split(" ", 1)[0])
        line.first_w = ink[min(first, len(ink)) - 1][2] - ink[0][1]
        m = _ITEM.match(line.text)
        line.body_x = line.x0
        if m:  # where the text after the marker starts: the x of the first character past it
            skip = len(line.text[: m.end()].replace(" ", ""))
            line.body_x = ink[min(skip, len(ink) - 1)][1]
        lines.append(line)
    return lines


# -- lines -> blocks ----------------------------------------------------------------------------------------


def _drop_running(pages: list[list[_Line]]) -> None:
    """Remove page numbers and lines repeated at the top or bottom of most pages (digits ignored)."""
    def key(line: _Line) -> str:
        return re.sub(r"\d+", "#", " ".join(line.text.lower().split()))

    def edges(lines: list[_Line]) -> list[_Line]:
        return lines[:2] + lines[-2:] if len(lines) > 4 else list(lines)

    counts = Counter(k for lines in pages for k in {key(ln) for ln in edges(lines)})
    need = max(2, (len(pages) + 1) // 2)
    for i, lines in enumerate(pages):
        drop = {id(ln) for ln in edges(lines) if _PAGE_NUMBER.match(ln.text.strip())
                or (len(pages) > 1 and counts[key(ln)] >= need and len(ln.text) <= 150)}
        pages[i] = [ln for ln in lines if id(ln) not in drop]


def _pitch(pages: list[list[_Line]], body: float) -> float:
    """The usual distance between baselines of two lines of one body paragraph."""
    diffs = Counter()
    for lines in pages:
        for a, b in zip(lines, lines[1:]):
            d = a.y - b.y
            if a.size == b.size == body and 0.8 * body < d < 2.5 * body:
                diffs[round(d * 2) / 2] += 1
    return diffs.most_common(1)[0][0] if diffs else 1.2 * body


def _tables(lines: list[_Line], pitch: float) -> None:
    """Mark runs of lines whose segments line up in columns as table rows (line.row = "cell | cell")."""
    i = 0
    while i < len(lines):
        if len(lines[i].segments) < 2:
            i += 1
            continue
        cols = sorted({round(x) for x, _ in lines[i].segments})
        j = i + 1
        while j < len(lines):
            ln, gap = lines[j], lines[j - 1].y - lines[j].y
            aligned = all(any(abs(x - c) <= 4 for c in cols) for x, _ in ln.segments)
            if not aligned or gap > (3.0 if len(ln.segments) > 1 else 1.5) * pitch:
                break
            j += 1
        run = lines[i:j]
        if sum(len(ln.segments) > 1 for ln in run) < 2:  # a single gappy line is not a table
            i += 1
            continue
        gaps = [a.y - b.y for a, b in zip(run, run[1:])]
        step = min(gaps) if gaps else pitch
        rows: list[list[_Line]] = []
        for k, ln in enumerate(run):
            if k == 0 or gaps[k - 1] > 1.15 * step:
                rows.append([])
            rows[-1].append(ln)
        for group in rows:
            cells = ["" for _ in cols]
            for ln in group:
                for x, s in ln.segments:
                    c = min(range(len(cols)), key=lambda n: abs(cols[n] - x))
                    cells[c] = f"{cells[c]} {s}".strip()
            group[0].row = " | ".join(c for c in cells if c)
            for ln in group[1:]:
                ln.row = ""
        i = j


def _layout(pages: list[list[_Line]]) -> tuple[str, list[Block]]:
    _drop_running(pages)
    ink = Counter()
    for lines in pages:
        for ln in lines:
            ink[ln.size] += len(ln.text)
    body = ink.most_common(1)[0][0] if ink else 10.0
    pitch = _pitch(pages, body)
    for lines in pages:
        _tables(lines, pitch)
    left = Counter(round(ln.x0) for lines in pages for ln in lines if ln.size == body and ln.row is None)
    margin = left.most_common(1)[0][0] if left else 0
    right = sorted(ln.x1 for lines in pages for ln in lines if ln.size == body) or [0.0]
    right_edge = right[int(len(right) * 0.9)]

    def heading_of(ln: _Line) -> tuple | None:
        words = len(ln.text.split())
        if ln.size >= body * 1.15 and words <= 30:
            return (ln.size, ln.bold)
        if ln.bold and abs(ln.size - body) < 0.5 and words <= 15 and not ln.text.endswith((".", ",", ";")):
            return (ln.size, ln.bold)
        return None

    # larger type: level by size rank; body-size bold: one level below the last larger heading
    sized = {h for lines in pages for ln in lines if ln.row is None for h in [heading_of(ln)] if h and h[0] > body}
    styles = sorted(sized, key=lambda h: (-h[0], not h[1]))
    last_level = 0
    item_x = sorted({round(ln.x0 - margin) for lines in pages for ln in lines
                     if ln.row is None and not heading_of(ln) and _ITEM.match(ln.text)})
    indents: list[int] = []
    for x in item_x:  # indents within 6 points are one level
        if not indents or x - indents[-1] > 6:
            indents.append(x)

    out: list[_Block] = []
    cur: _Block | None = None
    for lines in pages:
        for i, ln in enumerate(lines):
            if ln.row is not None:
                if ln.row:
                    glue = "\n" if cur is not None and cur.kind == "row" else "\n\n"
                    cur = _Block("row", 0, [ln.row], ln, glue=glue)
                    out.append(cur)
                continue
            style = heading_of(ln)
            nxt = lines[i + 1] if i + 1 < len(lines) else None
            if (style and style not in styles and nxt is not None and not nxt.bold and nxt.row is None
                    and ln.y - nxt.y <= 1.3 * pitch + 1 and ln.x1 >= right_edge - 0.1 * (right_edge - ln.x0)):
                style = None  # a full bold line running on into regular text: a bold lead-in, not a heading
            prev = cur.last if cur is not None else None
            same_page = prev is not None and prev.page == ln.page
            gap = prev.y - ln.y if same_page else 0.0
            if style:
                level = min(styles.index(style) + 1 if style in styles else last_level + 1, 6)
                if (cur is not None and cur.kind == "heading" and same_page and heading_of(prev) == style
                        and gap <= 1.6 * ln.size):
                    cur.parts.append(ln.text)
                    cur.last = ln
                    continue
                cur = _Block("heading", level, [ln.text], ln)
                out.append(cur)
                last_level = level if style in styles else last_level
                continue
            m = _ITEM.match(ln.text)
            in_text = cur is not None and cur.kind in ("paragraph", "item")
            if m and in_text and same_page and 0 < gap <= 1.3 * pitch + 1:
                # "(iii)" wrapped to the start of a line inside a sentence: the line before is full and runs on
                run_x = cur.first.body_x if cur.kind == "item" else prev.x0
                if _runs_on(prev, ln, right_edge) and cur.parts[-1][-1:] not in ".!?" and abs(ln.x0 - run_x) <= 3:
                    m = None
            if m:
                indent = round(ln.x0 - margin)
                level = max((k for k, x in enumerate(indents) if indent >= x - 3), default=0)
                glue = "\n" if cur is not None and cur.kind == "item" else "\n\n"
                cur = _Block("item", level, [ln.text], ln, ln, glue)
                out.append(cur)
                continue
            if in_text and _continues(cur, ln, gap, same_page, pitch, right_edge, body):
                cur.parts.append(ln.text)
                cur.last = ln
                continue
            cur = _Block("paragraph", 0, [ln.text], ln, ln)
            out.append(cur)
    return _render(out)


def _continues(cur: _Block, ln: _Line, gap: float, same_page: bool, pitch: float, right_edge: float,
               body: float) -> bool:
    """Does line `ln` carry on the paragraph or item `cur`?"""
    prev = cur.last
    last = cur.parts[-1]
    if not same_page:  # across a page break only a sentence that runs on continues
        return (last[-1:] not in _TERMINAL and abs(ln.size - prev.size) <= 0.5
                and (_runs_on(prev, ln, right_edge) or ln.text[:1].islower() or last[-1:] in _HYPHENS))
    if gap > 1.3 * pitch + 1 or gap < 0 or abs(ln.size - prev.size) > 0.5:
        return False
    if cur.kind == "item":  # continuation lines hang at the text past the marker, or run on under it
        return ln.x0 >= cur.first.body_x - 3 or (_runs_on(prev, ln, right_edge) and ln.x0 >= cur.first.x0 - 3
                                                 and last[-1:] not in _TERMINAL)
    if ln.x0 > prev.x0 + 0.8 * body and prev.x1 > right_edge - 0.25 * (right_edge - prev.x0):
        return False  # a first-line indent after a full line: a new paragraph
    if ln.x0 < prev.x0 - 0.8 * body and len(cur.parts) == 1 and prev.x0 > ln.x0:
        return True  # the first line was indented, this one is not: same paragraph
    if last[-1:] in ".!?:" and prev.x1 < right_edge - 0.3 * (right_edge - prev.x0):
        return False  # a short last line ending a sentence
    return True


def _runs_on(prev: _Line, ln: _Line, right_edge: float) -> bool:
    """Was the line before broken only because the first word of `ln` did not fit after it?"""
    return prev.x1 + 0.25 * prev.size + ln.first_w > right_edge


def _join(parts: list[str], vocab: set[str]) -> str:
    """Join a block's lines with spaces; a line ending "infor-" before "mation" loses the hyphen, unless the
    document spells the hyphenated word elsewhere and never the joined one ("third-" + "party")."""
    text = parts[0]
    for nxt in parts[1:]:
        token = text.rsplit(" ", 1)[-1]
        if _URL_BREAK.search(token) and (nxt[:1].isalnum() or nxt[:1] in "#?&=%_~/-") and not nxt[:1].isupper():
            text += nxt  # a link broken after "/" or "." runs on without a space
        elif text[-1:] in "-\u2010\x02" and text[-2:-1].isalpha() and nxt[:1].isupper():
            text = text[:-1] + "-" + nxt  # "Third-" + "Party": a compound, the hyphen stays
        elif text[-1:] in _HYPHENS and len(text) > 1 and text[-2].isalpha() and nxt[:1].islower():
            head = re.search(r"[\w-]*$", text[:-1]).group().lower()
            tail = re.match(r"[\w-]*", nxt).group().lower()
            keep = text[-1] in "-\u2010\x02" and f"{head}-{tail}" in vocab and f"{head}{tail}" not in vocab
            text = text[:-1] + ("-" if keep else "") + nxt
        else:
            text = f"{text} {nxt}"
    return text


def _render(blocks: list[_Block]) -> tuple[str, list[Block]]:
    vocab = {w.lower() for blk in blocks for part in blk.parts for w in re.findall(r"\w+(?:[-\u2010]\w+)*", part)}
    pieces: list[str] = []
    spans: list[Block] = []
    pos = 0
    for blk in blocks:
        if blk.kind == "heading" and len(blk.parts) > 3:  # body text set large, not a heading
            blk.kind, blk.level = "paragraph", 0
        body = " ".join(_join(blk.parts, vocab).replace("\x02", "-").replace("\u00ad", "").split())
        if not body:
            continue
        if pieces:
            pieces.append(blk.glue)
            pos += len(blk.glue)
        start = pos
        if blk.kind == "item":
            m = _ITEM.match(body)
            start += m.end() if m else 0
        pieces.append(body)
        pos += len(body)
        kind = {"row": "paragraph"}.get(blk.kind, blk.kind)
        if start < pos:
            spans.append(Block(kind, start, pos, blk.level))
    return "".join(pieces) + "\n", spans
