"""HTML (saved web pages of privacy policies): the main content only, parsed with selectolax (the Lexbor HTML5
parser, which never runs scripts, loads nothing and expands no DTD entity).

Kept: the page's main content: the largest <main> / [role=main], else the largest <article>, when it holds at least
half of the page's text; otherwise the whole <body> minus what is dropped. h1-h6 (and role=heading) become heading
blocks; a short, wholly bold paragraph and a <summary> become a heading one level below the last real one; <li>
items become item blocks (level = list depth, 0 at the top, with the bullet or number shown); <p>, <div>, <dt>,
<dd> and other blocks become paragraphs, split where two <br> leave a blank line; a single <br> is a line break.
A data table gives one line per row (the header row too), cells joined with " | "; a table holding headings, other
tables or long cells is layout and read as ordinary blocks. Whitespace is collapsed inside a block, entities are
decoded (&nbsp; becomes a space), soft hyphens and control characters are removed.
Dropped: head, script, style, noscript, template, svg, math, iframe, object, canvas, media, nav, aside, menu,
form controls (and forms, unless a form wraps the page's headings, as ASP.NET pages do), site-level header and
footer (those not inside article/main/section, as in ARIA), role navigation/menu/search/banner/contentinfo/
complementary/toolbar, id/class "header", "footer", "nav", "menu", "sidebar", "breadcrumb(s)" without an h1, skip
links, and, unless that would drop most of the page (a policy shown in a dialog or in collapsed, hidden panels),
hidden elements (hidden, aria-hidden="true", display:none, visibility:hidden), dialogs (<dialog>, role
dialog/alertdialog, aria-modal) and cookie/consent pop-ups (id/class/aria-label naming cookie, consent, gdpr, a
consent vendor, or a banner, that is short and is a pop-up or has buttons).
Decoding: a byte-order mark, else the <meta charset> / http-equiv Content-Type in the first 4 KB (latin-1 and
ASCII read as cp1252, as browsers do), else UTF-8, else cp1252 as a last resort for legacy pages.
Refused: binary data, markup nested more than 10,000 levels deep or a tag with more than 2,000 attributes (parsing
either would take minutes), and pages with no text left after extraction.
"""
from __future__ import annotations

import codecs
import re

from ..model import Block, GapcheckError
from .lines import assemble_blocks

MAX_NESTING = 10_000
MAX_ATTRIBUTES = 2_000
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([a-z0-9_:.\-]+)", re.I)
_AS_CP1252 = {"latin-1", "iso8859-1", "ascii", "cp1252"}  # WHATWG: these labels mean windows-1252
_NOT_WEB = {"utf-7", "idna", "punycode", "raw-unicode-escape", "unicode-escape", "undefined", "mbcs", "oem"}
# A start or end tag as the HTML tokenizer sees it (quoted values may hold ">"), to measure what makes Lexbor slow:
# nesting of blocks whose start tag scans the open-element stack (p/li/dt/dd close themselves), and attributes
# (checked for duplicates pairwise).
_TAG = re.compile(r"<(/?)([a-zA-Z][^\s/>]*)((?:[\s/]*[^\s/>=]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]*))?)*)")
_ATTRIBUTE = re.compile(r"[^\s/>=]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]*))?")
_NESTING = frozenset("div ul ol dl blockquote section article aside nav header footer main figure fieldset details dialog "
                     "address center menu dir hgroup form table h1 h2 h3 h4 h5 h6 pre listing figcaption summary "
                     "search".split())
_DROP_TAGS = frozenset("head title script style noscript template svg math iframe frame frameset object embed applet "
                       "canvas audio video map nav aside menu button input select textarea option datalist".split())
_BLOCK = frozenset("address article aside blockquote body caption center dd details dialog dir div dl dt fieldset "
                   "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr legend li listing main menu nav "
                   "ol p plaintext pre section summary table tbody td tfoot th thead tr ul xmp".split())
_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_SECTIONING = frozenset({"article", "aside", "main", "nav", "section"})
_DROP_ROLES = frozenset({"navigation", "menu", "menubar", "search", "banner", "contentinfo", "complementary", "toolbar"})
_CHROME_IDS = frozenset({"header", "footer", "nav", "navbar", "navigation", "menu", "sidebar", "breadcrumb",
                         "breadcrumbs", "site-header", "site-footer", "site-nav", "masthead"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_BOLD_STYLE = re.compile(r"font-weight\s*:\s*(?:bold|[6-9]00)", re.I)
_CONSENT = re.compile(r"cookie|consent|gdpr|\bcmp\b|banner", re.I)
_VENDOR = re.compile(r"onetrust|cookiebot|cybot|didomi|usercentrics|truste|osano|iubenda|cookieyes|termly|quantcast|"
                     r"qc-cmp|complianz|cmplz|borlabs|cookie-?law|cookieconsent|cc-window|gdpr-popup", re.I)
_POPUP = re.compile(r"banner|bar\b|popup|pop-up|modal|dialog|overlay|prompt|alert|toast|snackbar|wall\b", re.I)
_ACCEPT = re.compile(r"^\W*(accept|agree|allow|reject|decline|deny|dismiss|got it|ok(ay)?|close|i understand|"
                     r"(cookie )?(settings|preferences)|manage|customi[sz]e)\b", re.I)
_SKIP_LINK = re.compile(r"^\s*(skip|jump) to\b", re.I)
_JUNK = {c: None for c in [*range(0, 9), 11, *range(14, 32), 127, *range(0x80, 0xA0), 0xAD, 0x200B, 0xFEFF]}
_BR = None  # a line break in the inline buffer


def sniff(data: bytes) -> bool:
    """Does the content look like HTML: <!doctype html> or <html> first (after a BOM, whitespace, comments or an
    XML declaration), or a <head> / <body> tag in the first kilobyte?"""
    head = data[:2048]
    codec = next((c for bom, c in _BOMS if head.startswith(bom)), "latin-1")
    text = head.decode(codec, "ignore").lstrip("\ufeff").lower()
    rest = text.lstrip()
    while rest.startswith(("<!--", "<?")):
        end = rest.find("-->" if rest.startswith("<!--") else ">")
        if end < 0:
            return False
        rest = rest[end + 3 if rest.startswith("<!--") else end + 1:].lstrip()
    if rest.startswith(("<!doctype html", "<html")):
        return True
    return re.search(r"<(head|body)[\s>]", text[:1024]) is not None


def extract(data: bytes, name: str, encoding: str | None = None) -> tuple[str, list[Block]]:
    """Decode (with `encoding` when given, as --encoding), parse and keep the main content: (text, blocks).
    Raises GapcheckError naming `name`."""
    if encoding:
        from .decode import decode_bytes

        text = decode_bytes(data, name, encoding)
    else:
        text = _decode(data, name)
    _check_markup(text, name)
    try:
        from selectolax.lexbor import LexborHTMLParser

        body = LexborHTMLParser(text).body
        blocks = _content(body) if body is not None else []
    except GapcheckError:
        raise
    except Exception as e:  # noqa: BLE001 - any parser failure is the file's problem, reported on one line
        raise GapcheckError(f"{name}: cannot read the HTML ({type(e).__name__}: {e})".splitlines()[0]) from None
    if not blocks:
        raise GapcheckError(f"{name}: no policy text found in the HTML (only navigation, scripts or markup)")
    return assemble_blocks(blocks)


def _decode(data: bytes, name: str) -> str:
    if not data.strip():
        raise GapcheckError(f"{name}: empty policy (no text)")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _text_or_refuse(data.decode(codec, "replace").lstrip("\ufeff"), name)
    sample = data[:8192]
    if sum(b < 32 and b not in b"\t\n\r\f" for b in sample) > max(8, len(sample) // 100):
        raise GapcheckError(f"{name}: binary data, not an HTML page")
    m = _META_CHARSET.search(data[:4096])
    tries = []
    if m:
        try:
            codec = codecs.lookup(m.group(1).decode("ascii")).name
            # a page read as ASCII bytes cannot really be UTF-16/32 (WHATWG reads it as UTF-8)
            if codec not in _NOT_WEB:
                tries.append("utf-8" if codec.startswith(("utf-16", "utf-32")) else
                             "cp1252" if codec in _AS_CP1252 else codec)
        except LookupError:
            pass
    for codec in [*tries, "utf-8"]:
        try:
            return _text_or_refuse(data.decode(codec), name)
        except (UnicodeError, LookupError):
            continue
    return _text_or_refuse(data.decode("cp1252", "replace"), name)


def _text_or_refuse(text: str, name: str) -> str:
    if not text.strip():
        raise GapcheckError(f"{name}: empty policy (no text)")
    sample = text[:8192]
    if sum(ord(c) < 32 and c not in "\t\n\r\f" for c in sample) > max(8, len(sample) // 100):
        raise GapcheckError(f"{name}: binary data, not an HTML page")
    return text


def _check_markup(text: str, name: str) -> None:
    """Refuse what would make the parser take minutes: blocks nested past MAX_NESTING, a tag with more than
    MAX_ATTRIBUTES attributes (both cost Lexbor quadratic time)."""
    depth = 0
    for m in _TAG.finditer(text):
        if m.group(1):
            depth = depth - 1 if depth and m.group(2).lower() in _NESTING else depth
        elif m.group(2).lower() in _NESTING:
            depth += 1
            if depth > MAX_NESTING:
                raise GapcheckError(f"{name}: HTML nested more than {MAX_NESTING} levels deep, refused")
        if m.end() - m.start() > 20 * MAX_ATTRIBUTES and len(_ATTRIBUTE.findall(m.group(3))) > MAX_ATTRIBUTES:
            raise GapcheckError(f"{name}: an HTML tag with more than {MAX_ATTRIBUTES} attributes, refused")


def _content(body) -> list[tuple]:
    """Blocks of the main content: strict (hidden parts and pop-ups dropped) unless that drops most of the page."""
    strict = _Extractor(lenient=False)
    strict.run(body)
    ex = strict
    if strict.hidden_chars > 2 * _chars(strict.blocks):
        ex = _Extractor(lenient=True)
        ex.run(body)
    total = _chars(ex.blocks)
    for kinds in (("main",), ("article",)):
        spans = [ex.blocks[s:e] for tag, s, e in ex.spans if tag in kinds and e is not None]
        best = max(spans, key=_chars, default=[])
        if best and _chars(best) * 2 >= total:
            return best
    return ex.blocks


def _chars(blocks) -> int:
    return sum(len(b[3]) for b in blocks)


def _collapse(text: str) -> str:
    return " ".join(text.translate(_JUNK).split())


def _label(attrs: dict) -> str:
    return " ".join(v for k in ("id", "class", "aria-label") if (v := attrs.get(k)))


class _Extractor:
    """Walks a subtree iteratively (deep markup cannot overflow the stack) and collects blocks as tuples
    (kind, level, lead, text); kind "row" is a table row, rendered as a paragraph."""

    def __init__(self, lenient: bool, in_section: bool = False):
        self.lenient = lenient
        self.blocks: list[tuple] = []
        self.spans: list[list] = []  # [tag, first block, end block] of each <main>/<article> walked
        self.buf: list = []  # (text, bold) pieces and _BR
        self.ctx = [["paragraph", 0, ""]]  # kind, level, lead not yet shown
        self.lists: list[list] = []  # [list type, next number]
        self.stack: list[tuple] = []  # per open element: what leave() must undo
        self.bold = self.pre = 0
        self.sections = 1 if in_section else 0
        self.last_heading = 0
        self.hidden_chars = 0  # text the strict mode dropped as hidden or as a pop-up
        self.checks = 0  # subtree inspections made; capped so hostile markup cannot make them quadratic

    # -- walking -------------------------------------------------------------------------------------------------
    def run(self, root) -> None:
        root_id = root.mem_id
        node = root.child
        while node is not None:
            if self.enter(node):
                child = node.child
                if child is not None:
                    node = child
                    continue
                self.leave(node)
            while True:
                nxt = node.next
                if nxt is not None:
                    node = nxt
                    break
                node = node.parent
                if node is None or node.mem_id == root_id:
                    node = None
                    break
                self.leave(node)
        self.flush()

    def enter(self, node) -> bool:
        tag = node.tag
        if tag == "-text":
            text = node.text_content or ""
            if self.pre:
                for i, line in enumerate(text.split("\n")):
                    if i:
                        self.buf.append(_BR)
                    self.buf.append((line, self.bold > 0))
            else:
                self.buf.append((text, self.bold > 0))
            return False
        if not tag or tag[0] in "-#":
            return False  # comments, doctype
        if tag == "br":
            self.buf.append(_BR)
            return False
        attrs = node.attributes
        if self.drop(node, tag, attrs):
            return False
        role = (attrs.get("role") or "").strip().lower()
        level = _HEADINGS.get(tag) or (_int(attrs.get("aria-level"), 2) if role == "heading" else 0)
        block = tag in _BLOCK or level > 0 or role == "main"
        if tag == "table" and self.data_table(node, role):
            self.flush()
            self.table(node)
            return False
        if block:
            self.boundary()
        pushed = False
        top = self.ctx[-1]
        if top[0] != "heading":
            if level:
                self.ctx.append(["heading", min(level, 6), ""])
                pushed = True
            elif tag == "summary":
                self.ctx.append(["heading", 0, ""])  # level from the last real heading
                pushed = True
            elif tag == "li":
                lst = self.lists[-1] if self.lists else ["ul", 1]
                if lst[0] != "ul":
                    lst[1] = _int(attrs.get("value"), lst[1])
                self.ctx.append(["item", max(len(self.lists) - 1, 0), _marker(lst)])
                pushed = True
        listed = tag in ("ul", "ol", "dir")
        if listed:
            kind = (attrs.get("type") or "1") if tag == "ol" else "ul"
            self.lists.append([kind, _int(attrs.get("start"), 1)])
        bold = tag in ("b", "strong") or bool(_BOLD_STYLE.search(attrs.get("style") or ""))
        self.bold += bold
        self.pre += tag in ("pre", "listing")
        section = tag in _SECTIONING or role == "main"
        self.sections += section
        span = -1
        if tag in ("main", "article") or role == "main":  # a candidate for the main content
            span = len(self.spans)
            self.spans.append(["main" if role == "main" else tag, len(self.blocks), None])
        self.stack.append((block, pushed, listed, bold, tag in ("pre", "listing"), section, span))
        return True

    def leave(self, node) -> None:
        block, pushed, listed, bold, pre, section, span = self.stack.pop()
        if block:
            self.boundary()
        if pushed:
            self.flush()
            self.ctx.pop()
        if listed:
            self.lists.pop()
        self.bold -= bold
        self.pre -= pre
        self.sections -= section
        if span >= 0:
            self.spans[span][2] = len(self.blocks)

    # -- what to drop ----------------------------------------------------------------------------------------------
    def drop(self, node, tag: str, attrs: dict) -> bool:
        if tag in _DROP_TAGS:
            return True
        if tag in ("header", "footer") and not self.sections:
            return True  # the site's banner / content info, not an article's own header
        if tag == "form":
            return not self.holds(node, "h1, h2, h3, main, article")
        if tag == "dialog" and not self.lenient:
            return self.hide(node)
        if not attrs:
            return False
        role = (attrs.get("role") or "").strip().lower()
        if role in _DROP_ROLES:
            return True
        if tag == "a" and (attrs.get("href") or "").startswith("#") and _SKIP_LINK.match(node.text() or ""):
            return True
        names = {v.strip().lower() for k in ("id", "class") for v in (attrs.get(k) or "").split()}
        if names & _CHROME_IDS and not self.holds(node, "h1, main, article"):
            return True
        if self.lenient:
            return False
        hidden = (
            ("hidden" in attrs and (attrs["hidden"] or "").strip().lower() != "until-found")
            or (attrs.get("aria-hidden") or "").strip().lower() == "true"
            or (attrs.get("aria-modal") or "").strip().lower() == "true"
            or role in ("dialog", "alertdialog")
            or _HIDDEN_STYLE.search(attrs.get("style") or "") is not None
            or self.popup(node, _label(attrs))
        )
        return self.hide(node) if hidden else False

    def hide(self, node) -> bool:
        """Drop a hidden part or a pop-up, counting the text the lenient mode would keep."""
        probe = _Extractor(lenient=True)
        probe.run(node)
        self.hidden_chars += _chars(probe.blocks)
        return True

    def holds(self, node, selector: str) -> bool:
        self.checks += 1
        return self.checks > 300 or node.css_first(selector) is not None

    def popup(self, node, label: str) -> bool:
        """A cookie/consent banner: named so, short, and a pop-up (by name, or with buttons and no title)."""
        if not label or not _CONSENT.search(label) or self.checks > 300:
            return False
        self.checks += 1
        if len(node.text() or "") > 5000:
            return False
        if _VENDOR.search(label):
            return True
        consent = re.search(r"cookie|consent|gdpr|cmp", label, re.I) is not None
        if node.css_first("h1, h2, h3, [role=heading]") is not None:
            return consent and _POPUP.search(label) is not None  # a titled section stays; a titled pop-up goes
        if consent and _POPUP.search(label):
            return True
        return node.css_first("button, input, select, [role=button], [role=switch], [role=checkbox]") is not None \
            or any(_ACCEPT.match(a.text() or "") and len(a.text() or "") <= 40 for a in node.css("a"))

    # -- tables ----------------------------------------------------------------------------------------------------
    def data_table(self, node, role: str) -> bool:
        if role in ("presentation", "none"):
            return False
        self.checks += 1
        if self.checks > 300:
            return False  # read as layout: always safe
        if node.css_first("h1, h2, h3, h4, h5, h6, table table, [role=heading]") is not None:
            return False
        return all(len(cell.text() or "") <= 1500 for cell in node.css("td, th"))

    def table(self, node) -> None:
        for part in node.css("caption, tr"):
            attrs = part.attributes
            if self.drop(part, part.tag, attrs):
                continue
            cells = [part] if part.tag == "caption" else [
                c for c in _children(part) if c.tag in ("td", "th") and not self.drop(c, c.tag, c.attributes)]
            texts = []
            for cell in cells:
                sub = _Extractor(self.lenient, in_section=True)
                sub.run(cell)
                pieces = [b[3] for b in sub.blocks]
                joined = ""
                for piece in pieces:
                    joined += ("" if not joined else " " if joined[-1] in ".,;:!?" else "; ") + piece
                if joined:
                    texts.append(" ".join(joined.split()))
            if texts:
                self.blocks.append(("row", 0, "", " | ".join(texts)))

    # -- output ----------------------------------------------------------------------------------------------------
    def boundary(self) -> None:
        if self.ctx[-1][0] == "heading":
            self.buf.append(_BR)  # a block inside a heading: the heading stays one line
        else:
            self.flush()

    def flush(self) -> None:
        if not any(piece and not piece[0].isspace() for piece in self.buf):
            self.buf = []  # only whitespace and line breaks
            return
        lines: list[list] = [[]]
        for piece in self.buf:
            if piece is _BR:
                lines.append([])
            else:
                lines[-1].append(piece)
        self.buf = []
        ctx = self.ctx[-1]
        kind, level = ctx[0], ctx[1]
        texts = [(_collapse("".join(t for t, _ in line)), all(b for t, b in line if t.strip())) for line in lines]
        if kind == "heading":
            text = _collapse(" ".join(t for t, _ in texts))
            if text:
                if level:
                    self.last_heading = level
                self.blocks.append(("heading", level or min(self.last_heading + 1, 6), "", text))
            return
        if kind == "item":
            text = "\n".join(t for t, _ in texts if t)
            if text:
                self.blocks.append(("item", level, ctx[2], text))
                ctx[2] = ""  # later blocks of the same <li> continue it without a bullet
            return
        group: list[tuple] = []
        for line in texts + [("", False)]:
            if line[0]:
                group.append(line)
                continue
            if group:
                first, bold = group[0]
                if bold and len(first.split()) <= 15 and first[-1] not in ".,;":
                    self.blocks.append(("heading", min(self.last_heading + 1, 6), "", first))
                    group = group[1:]
                if group:
                    self.blocks.append(("paragraph", 0, "", "\n".join(t for t, _ in group)))
            group = []


def _children(node):
    child = node.child
    while child is not None:
        yield child
        child = child.next


def _int(value, default: int) -> int:
    try:
        return int((value or "").strip())
    except ValueError:
        return default


def _marker(lst: list) -> str:
    kind, number = lst
    if kind == "ul":
        return "\u2022"
    lst[1] += 1
    if kind in ("a", "A") and 1 <= number <= 26:
        letter = chr(ord("a") + number - 1)
        return f"{letter.upper() if kind == 'A' else letter}."
    if kind in ("i", "I") and 1 <= number < 40:
        roman = _roman(number)
        return f"{roman.upper() if kind == 'I' else roman}."
    return f"{number}."


def _roman(n: int) -> str:
    out = ""
    for value, digits in ((10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out += digits
            n -= value
    return out
