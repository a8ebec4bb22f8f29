"""DOCX (Word 2007+, transitional or strict): the main document body, read with zipfile and ElementTree.

Kept: body paragraphs in order, including those inside content controls, tracked insertions, hyperlinks, fields'
shown results and text boxes. Headings: paragraph styles "Heading 1".."Heading 6" and "Title" (level 1), styles
based on them, and outline levels. List items: paragraphs with numbering (numPr, directly or from the style) or a
"List Bullet"/"List Number" style, level from ilvl, with the number or bullet Word would show ("1.", "(a)", "•").
Table rows: one line each, cells joined with " | ".
Dropped: headers, footers, footnotes, comments, deleted text, field codes, hidden text, tables of contents.
Refused: files that are not a zip or lack word/document.xml, zip bombs (declared sizes checked before anything is
unpacked), XML with a DTD (no entity is ever expanded or fetched), and OLE containers (password-protected or
legacy .doc files).
"""
from __future__ import annotations

import io
import re
import zipfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from ..model import Block, GapcheckError
from .lines import assemble_blocks

MAX_UNPACKED = 100 * 1024 * 1024  # bytes, all entries together
MAX_ENTRIES = 10_000
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_STRICT_W = b"http://purl.oclc.org/ooxml/wordprocessingml/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.I)


def w(tag: str) -> str:
    return f"{{{_W}}}{tag}"


def _val(el: ET.Element | None, path: str) -> str | None:
    found = el.find(path) if el is not None else None
    return found.get(w("val")) if found is not None else None


_SKIP = {w("del"), w("moveFrom"), w("delText"), w("instrText"), w("delInstrText"), w("pPr"), w("rPr"), w("sdtPr"),
         w("footnoteReference"), w("endnoteReference"), w("commentReference"), f"{{{_MC}}}Fallback"}
_ON = (None, "1", "true", "on")


class _Bad(Exception):
    """Why the file is not a valid DOCX (becomes part of the one-line error)."""


@dataclass
class _Style:
    name: str
    based_on: str | None
    outline: int | None
    num: tuple[str, int] | None  # (numId, ilvl)
    bold: bool | None


def sniff(data: bytes) -> bool:
    return data.startswith(b"PK\x03\x04") and b"word/document.xml" in data


def extract(data: bytes, name: str, encoding: str | None = None) -> tuple[str, list[Block]]:
    """`encoding` is accepted for the registry's sake and ignored: the format says how its text is encoded."""
    if data.startswith(_OLE):
        raise GapcheckError(f"{name}: password-protected or legacy .doc file; save as .docx")
    try:
        reader = _Reader(_open(data))
        reader.body()
    except _Bad as e:
        raise GapcheckError(f"{name}: not a valid DOCX file ({e})") from None
    except GapcheckError:
        raise
    except Exception as e:  # noqa: BLE001 - never let a library error escape
        reason = " ".join(str(e).split())[:120] or type(e).__name__
        raise GapcheckError(f"{name}: not a valid DOCX file ({reason})") from None
    text, blocks = reader.render()
    if not blocks:
        raise GapcheckError(f"{name}: empty policy (no text)")
    return text, blocks


def _open(data: bytes) -> dict[str, ET.Element | None]:
    """The document, styles and numbering parts, after the zip-bomb and DTD checks."""
    if not data.startswith(b"PK"):
        raise _Bad("not a zip archive")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as e:
        raise _Bad(f"damaged zip archive: {e}") from None
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES or sum(i.file_size for i in infos) > MAX_UNPACKED:
        raise _Bad(f"unpacks to more than {MAX_UNPACKED // (1024 * 1024)} MB; refused")
    names = {i.filename for i in infos}

    def parse(part: str) -> ET.Element | None:
        if part not in names:
            return None
        raw = zf.read(part)  # zipfile stops at the declared size and checks the CRC
        probe = raw.decode("utf-16", "replace").encode() if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw
        if _DTD.search(probe):  # no Office part has one; refusing it rules out entity expansion and fetching
            raise _Bad(f"{part} declares a DTD; refused")
        try:
            return ET.fromstring(raw.replace(_STRICT_W, _W.encode()))
        except ET.ParseError as e:
            raise _Bad(f"{part}: {e}") from None

    def targets(rels_part: str, base: str) -> dict[str, str]:
        root = parse(rels_part)
        found = {}
        for rel in (root if root is not None else []):
            kind, target = rel.get("Type", "").rsplit("/", 1)[-1], rel.get("Target", "")
            if rel.get("TargetMode") != "External" and kind not in found:
                found[kind] = target.lstrip("/") if target.startswith("/") else base + target
        return found

    main = targets("_rels/.rels", "").get("officeDocument", "word/document.xml")
    if main not in names:
        raise _Bad(f"no {main}")
    folder, _, leaf = main.rpartition("/")
    base = f"{folder}/" if folder else ""
    rels = targets(f"{base}_rels/{leaf}.rels", base)
    return {
        "document": parse(main),
        "styles": parse(rels.get("styles", f"{base}styles.xml")),
        "numbering": parse(rels.get("numbering", f"{base}numbering.xml")),
    }


class _Reader:
    def __init__(self, parts: dict[str, ET.Element | None]):
        self.root = parts["document"]
        self.styles: dict[str, _Style] = {}
        self.default_style: str | None = None
        for st in parts["styles"].iter(w("style")) if parts["styles"] is not None else ():
            if st.get(w("type")) not in (None, "paragraph"):
                continue
            sid = st.get(w("styleId"), "")
            ppr = st.find(w("pPr"))
            num_id = _val(ppr, f"{w('numPr')}/{w('numId')}")
            self.styles[sid] = _Style(
                (_val(st, w("name")) or sid).lower(), _val(st, w("basedOn")), _int(_val(ppr, w("outlineLvl"))),
                (num_id, min(_int(_val(ppr, f"{w('numPr')}/{w('ilvl')}")) or 0, 8)) if num_id else None,
                _bold(st.find(w("rPr"))),
            )
            if st.get(w("default")) in ("1", "true"):
                self.default_style = sid
        self.formats: dict[tuple[str, int], tuple[str, str, int]] = {}  # (numId, ilvl) -> (numFmt, lvlText, start)
        numbering = parts["numbering"]
        if numbering is not None:
            abstract = {a.get(w("abstractNumId")): a for a in numbering.iter(w("abstractNum"))}
            for num in numbering.iter(w("num")):
                levels = abstract.get(_val(num, w("abstractNumId")))
                overrides = {o.get(w("ilvl")): _val(o, w("startOverride")) for o in num.iter(w("lvlOverride"))}
                for lvl in levels.iter(w("lvl")) if levels is not None else ():
                    ilvl = lvl.get(w("ilvl"), "0")
                    start = overrides.get(ilvl) or _val(lvl, w("start")) or "1"
                    fmt, text = _val(lvl, w("numFmt")) or "decimal", _val(lvl, w("lvlText")) or ""
                    key = (num.get(w("numId")), _int(ilvl) or 0)
                    self.formats[key] = (fmt, text, min(_int(start) or 1, 99_999))
        self.counters: dict[str, list[int | None]] = {}
        self.blocks: list[tuple[str, int, str, str]] = []  # (kind, level, label, text)
        self.last_level = 0  # level of the last styled heading: a bold line heads a section below it

    # -- styles and numbering --

    def _chain(self, sid: str | None):
        seen = set()
        while sid and sid in self.styles and sid not in seen and len(seen) < 20:
            seen.add(sid)
            yield self.styles[sid]
            sid = self.styles[sid].based_on

    def _heading_level(self, sid: str | None, ppr: ET.Element | None) -> int:
        outline = _int(_val(ppr, w("outlineLvl")))
        if outline is not None:
            return outline + 1 if outline < 6 else 0
        for st in self._chain(sid):
            m = re.fullmatch(r"heading\s*([1-9])", st.name)
            if m:
                return min(int(m.group(1)), 6)
            if st.name == "title":
                return 1
            if st.outline is not None:
                return st.outline + 1 if st.outline < 6 else 0
        return 0

    def _numbering(self, sid: str | None, ppr: ET.Element | None) -> tuple[str, int] | None:
        num_id = _val(ppr, f"{w('numPr')}/{w('numId')}")
        ilvl = _val(ppr, f"{w('numPr')}/{w('ilvl')}")
        style_num = next((st.num for st in self._chain(sid) if st.num), None)
        if num_id is None and style_num:
            num_id = style_num[0]
            ilvl = ilvl if ilvl is not None else str(style_num[1])
        if num_id is None or num_id == "0":
            return None
        return num_id, min(_int(ilvl) or 0, 8)

    def _label(self, num_id: str, ilvl: int) -> str:
        fmt, text, start = self.formats.get((num_id, ilvl), ("bullet", "", 1))
        counts = self.counters.setdefault(num_id, [None] * 9)
        counts[ilvl] = start if counts[ilvl] is None else counts[ilvl] + 1
        for deeper in range(ilvl + 1, 9):
            counts[deeper] = None
        if fmt == "bullet":
            return "\u2022"
        if fmt == "none":
            return ""

        def number(m: re.Match) -> str:
            k = int(m.group(1)) - 1
            n = counts[k] if counts[k] is not None else self.formats.get((num_id, k), ("", "", 1))[2]
            return _format(n, self.formats.get((num_id, k), (fmt,))[0])

        return re.sub(r"%([1-9])", number, text).strip() or _format(counts[ilvl], fmt)

    # -- walking the body --

    def body(self) -> None:
        body = self.root.find(w("body")) if self.root is not None else None
        if body is None:
            raise _Bad("no document body")
        self._container(body)

    def _container(self, el: ET.Element) -> None:
        for child in el:
            tag = child.tag
            if tag == w("p"):
                self._paragraph(child)
            elif tag == w("tbl"):
                self._table(child)
            elif tag == w("sdt"):
                gallery = child.find(f"{w('sdtPr')}/{w('docPartObj')}/{w('docPartGallery')}")
                if gallery is None or "contents" not in (gallery.get(w("val")) or "").lower():
                    self._container(child.find(w("sdtContent")) if child.find(w("sdtContent")) is not None else [])
            elif tag in (w("customXml"), w("ins"), w("moveTo"), f"{{{_MC}}}AlternateContent", f"{{{_MC}}}Choice"):
                self._container(child)

    def _text(self, el: ET.Element, out: list[str], boxes: list[ET.Element], ink: list[int] | None = None,
              bold: bool = False) -> None:
        """Append the shown text of `el` to `out`; `ink` counts [bold, all] letters."""
        for child in el:
            tag = child.tag
            if tag in _SKIP:
                continue
            if tag == w("r"):
                rpr = child.find(w("rPr"))
                if rpr is not None and rpr.find(w("vanish")) is not None and _val(rpr, w("vanish")) in _ON:
                    continue
                run_bold = _bold(rpr)
                self._text(child, out, boxes, ink, bold if run_bold is None else run_bold)
            elif tag == w("t"):
                out.append(child.text or "")
                if ink is not None:
                    letters = sum(1 for ch in child.text or "" if not ch.isspace())
                    ink[0] += letters if bold else 0
                    ink[1] += letters
            elif tag in (w("tab"), w("ptab")):
                out.append(" ")
            elif tag in (w("br"), w("cr")):
                out.append("\n" if child.get(w("type")) in (None, "textWrapping") else " ")
            elif tag == w("noBreakHyphen"):
                out.append("-")
            elif tag == w("txbxContent"):
                boxes.append(child)
            elif tag == w("p"):  # paragraphs in a table cell: one space between them
                out.append(" ")
                self._text(child, out, boxes, ink, bold)
                out.append(" ")
            else:
                self._text(child, out, boxes, ink, bold)

    def _paragraph(self, p: ET.Element) -> None:
        ppr = p.find(w("pPr"))
        sid = _val(ppr, w("pStyle")) or self.default_style
        style = self.styles.get(sid) if sid else None
        if style is not None and re.match(r"toc\s*\d|table of figures", style.name):
            return
        out: list[str] = []
        boxes: list[ET.Element] = []
        ink = [0, 0]
        style_bold = next((st.bold for st in self._chain(sid) if st.bold is not None), False)
        self._text(p, out, boxes, ink, style_bold)
        text = "\n".join(" ".join(line.split()) for line in "".join(out).split("\n")).strip()
        text = re.sub(r"\n+", "\n", text)
        level = self._heading_level(sid, ppr)
        num = self._numbering(sid, ppr)
        label = self._label(*num) if num else ""
        # "List Bullet 2" is a second-level list whatever its numbering says, unless the paragraph sets ilvl
        m = re.fullmatch(r"list (bullet|number)(?:\s*(\d))?", style.name) if style is not None and not level else None
        if m and _val(ppr, f"{w('numPr')}/{w('ilvl')}") is None:
            num = (num[0] if num else "", int(m.group(2) or 1) - 1)
            label = label or ("\u2022" if m.group(1) == "bullet" else "-")
        if level:
            self.last_level = level
        elif not num and ink[1] and ink[0] == ink[1] and len(text.split()) <= 15 and text[-1] not in ".,;":
            level = min(self.last_level + 1, 6)  # a short, wholly bold paragraph: an unstyled heading
        if text:
            if level:
                self.blocks.append(("heading", level, label, text))
            elif num:
                self.blocks.append(("item", num[1], label or "\u2022", text))
            else:
                self.blocks.append(("paragraph", 0, "", text))
        for box in boxes:
            self._container(box)

    def _table(self, tbl: ET.Element) -> None:
        for tr in _children(tbl, w("tr")):
            cells = []
            for tc in _children(tr, w("tc")):
                out: list[str] = []
                self._text(tc, out, [])
                cell = " ".join("".join(out).split())
                if cell:
                    cells.append(cell)
            if cells:
                self.blocks.append(("row", 0, "", " | ".join(cells)))

    def render(self) -> tuple[str, list[Block]]:
        return assemble_blocks(self.blocks)


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isascii() and value.isdigit() and len(value) <= 6 else None


def _bold(rpr: ET.Element | None) -> bool | None:
    b = rpr.find(w("b")) if rpr is not None else None
    return None if b is None else b.get(w("val")) in _ON


def _children(el: ET.Element, tag: str):
    """Direct children with `tag`, looking through content controls and custom XML wrappers."""
    for child in el:
        if child.tag == tag:
            yield child
        elif child.tag in (w("sdt"), w("sdtContent"), w("customXml")):
            yield from _children(child, tag)


def _format(n: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        s = ""
        while n > 0:
            n, r = divmod(n - 1, 26)
            s = chr(97 + r) + s
        return s.upper() if fmt == "upperLetter" else s
    if fmt in ("lowerRoman", "upperRoman"):
        s = ""
        for value, numeral in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                               (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
            while n >= value:
                s, n = s + numeral, n - value
        return s.upper() if fmt == "upperRoman" else s
    return str(n)
