"""The DOCX reader (checker/readers/docx.py): documents built here with python-docx from the example policies,
small ones written as raw WordprocessingML for what python-docx cannot make, and hostile or broken files."""
from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import Path

import pytest

from checker.model import GapcheckError
from reader_checks import blocks_ok
from checker.readers import docx as reader

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

import docx  # python-docx (a dev dependency), used to build the test documents only


def add_text(paragraph, text: str) -> None:
    for i, piece in enumerate(re.split(r"\*\*(.+?)\*\*", text)):
        if piece:
            paragraph.add_run(piece).bold = bool(i % 2)


def markdown_to_docx(md: str, copies: int = 1) -> bytes:
    """Enough Markdown for the example policies: # headings, - and 1. items (nested by indent), | tables, **bold**;
    with a header, a footer and a comment that must not be read."""
    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "HEADER Lumen Notes draft"
    d.sections[0].footer.paragraphs[0].text = "FOOTER confidential"
    lines = md.splitlines()
    for _ in range(copies):
        para: list[str] = []
        table: list[list[str]] = []

        def flush() -> None:
            if para:
                add_text(d.add_paragraph(), " ".join(para))
                para.clear()
            if table:
                t = d.add_table(rows=len(table), cols=len(table[0]))
                for r, row in enumerate(table):
                    for c, cell in enumerate(row):
                        t.cell(r, c).text = cell
                table.clear()

        for line in lines:
            s = line.strip()
            heading = re.match(r"(#{1,6})\s+(.*)", s)
            if heading:
                flush()
                d.add_heading(heading.group(2), len(heading.group(1)))
            elif re.match(r"\|?\s*:?-{3}", s):
                continue
            elif s.startswith("|"):
                if para:
                    flush()
                table.append([c.strip() for c in s.strip("|").split("|")])
            elif re.match(r"(?:[-*]|\d{1,2}\.) ", s):
                flush()
                depth = min((len(line) - len(line.lstrip())) // 2, 2)  # the template has List Bullet 1-3
                style = "List Number" if s[0].isdigit() else "List Bullet"
                add_text(d.add_paragraph(style=style if depth == 0 else f"{style} {depth + 1}"), s.split(" ", 1)[1])
            elif not s:
                flush()
            elif not para and line.startswith("  ") and d.paragraphs and d.paragraphs[-1].style.name.startswith("List"):
                add_text(d.paragraphs[-1], " " + s)  # an item's continuation line
            else:
                para.append(s)
        flush()
    first = d.paragraphs[2]
    d.add_comment(first.runs, text="COMMENT please reword", author="Reviewer")
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def example_docx() -> dict[str, bytes]:
    return {name: markdown_to_docx((EXAMPLES / f"{name}-policy.md").read_text()) for name in ("thorough", "gappy")}


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def raw_docx(body: str, numbering: str = "", styles: str = "", ns: str = W, extra: dict[str, bytes] | None = None) -> bytes:
    """A DOCX written by hand: document.xml around `body`, optional numbering.xml and styles.xml."""
    decl = (f'xmlns:w="{ns}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
            'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"')
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "_rels/.rels": f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                       f'<Relationship Id="r1" Type="{rel}/officeDocument" Target="word/document.xml"/></Relationships>',
        "word/document.xml": f'<?xml version="1.0" encoding="UTF-8"?><w:document {decl}><w:body>{body}</w:body></w:document>',
    }
    if numbering:
        parts["word/numbering.xml"] = f"<w:numbering {decl}>{numbering}</w:numbering>"
    if styles:
        parts["word/styles.xml"] = f"<w:styles {decl}>{styles}</w:styles>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return out.getvalue()


def p(text: str, ppr: str = "", runs: str = "") -> str:
    return f"<w:p><w:pPr>{ppr}</w:pPr>{runs}<w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r></w:p>"


def spans(data: bytes) -> list[tuple[str, int, str]]:
    text, blocks = reader.extract(data, "t.docx")
    blocks_ok(text, blocks)
    return [(b.kind, b.level, text[b.start:b.end]) for b in blocks]


@pytest.mark.parametrize("name", ["thorough", "gappy"])
def test_the_examples_extract_to_well_formed_blocks(example_docx, name):
    # that they then get the Markdown original's statuses is test_formats_agree.py's acceptance test
    text, blocks = reader.extract(example_docx[name], f"{name}.docx")
    blocks_ok(text, blocks)


def test_structure_of_a_python_docx_document(example_docx):
    text, blocks = reader.extract(example_docx["thorough"], "thorough.docx")
    by_text = {text[b.start:b.end]: (b.kind, b.level) for b in blocks}
    assert by_text["Lumen Notes Privacy Policy"] == ("heading", 1)
    assert by_text["1. Who we are"] == ("heading", 2)
    assert by_text["1.1 The controller"] == ("heading", 3)
    assert by_text["Last updated: 1 October 2026"] == ("heading", 2)  # a wholly bold paragraph under the title
    assert by_text["Email: privacy@lumennotes.com"] == ("item", 0)
    assert "\n\u2022 Postal address: Lumen Notes Ltd" in text
    assert "\nPurpose | Data used | Legal basis\nCreating and running your account, syncing notes | " in text
    for hidden in ("HEADER", "FOOTER", "COMMENT"):
        assert hidden not in text


def test_styles_outline_levels_and_numbering():
    styles = (
        '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>'
        '<w:style w:type="paragraph" w:styleId="Titre"><w:name w:val="Title"/></w:style>'
        '<w:style w:type="paragraph" w:styleId="berschrift2"><w:name w:val="heading 2"/></w:style>'
        '<w:style w:type="paragraph" w:styleId="Clause"><w:name w:val="Clause"/><w:basedOn w:val="berschrift2"/></w:style>'
        '<w:style w:type="paragraph" w:styleId="Outline"><w:name w:val="Outline"/><w:pPr><w:outlineLvl w:val="2"/></w:pPr></w:style>'
        '<w:style w:type="paragraph" w:styleId="TOC1"><w:name w:val="toc 1"/></w:style>'
    )
    numbering = (
        '<w:abstractNum w:abstractNumId="0">'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="(%2)"/></w:lvl>'
        '<w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="lowerRoman"/><w:lvlText w:val="%1.%2.%3"/></w:lvl>'
        '</w:abstractNum>'
        '<w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/><w:lvlText w:val="\uf0b7"/></w:lvl></w:abstractNum>'
        '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num><w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>'
    )

    def num(num_id: int, ilvl: int) -> str:
        return f'<w:numPr><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>'

    body = "".join([
        p("Contents 1", '<w:pStyle w:val="TOC1"/>'),
        p("Our Privacy Policy", '<w:pStyle w:val="Titre"/>'),
        p("What we collect", '<w:pStyle w:val="Clause"/>'),
        p("Details", '<w:pStyle w:val="Outline"/>'),
        p("Direct outline", '<w:outlineLvl w:val="0"/>'),
        p("Body text.", '<w:outlineLvl w:val="9"/>'),
        p("Name", num(1, 0)), p("Email", num(1, 0)), p("Work email", num(1, 1)), p("Deep", num(1, 2)),
        p("Personal email", num(1, 1)), p("Phone", num(1, 0)), p("Dot", num(2, 0)),
        p("Not a list", num(0, 0)),
    ])
    text, blocks = reader.extract(raw_docx(body, numbering, styles), "t.docx")
    assert [(b.kind, b.level, text[b.start:b.end]) for b in blocks] == [
        ("heading", 1, "Our Privacy Policy"),
        ("heading", 2, "What we collect"),
        ("heading", 3, "Details"),
        ("heading", 1, "Direct outline"),
        ("paragraph", 0, "Body text."),
        ("item", 0, "Name"), ("item", 0, "Email"), ("item", 1, "Work email"), ("item", 2, "Deep"),
        ("item", 1, "Personal email"), ("item", 0, "Phone"), ("item", 0, "Dot"),
        ("paragraph", 0, "Not a list"),
    ]
    assert "1. Name\n2. Email\n(a) Work email\n2.a.i Deep\n(b) Personal email\n3. Phone\n\u2022 Dot\n\nNot a list" in text
    assert "Contents" not in text


def test_only_the_shown_text_is_kept():
    body = "".join([
        '<w:p><w:r><w:t>Kept </w:t></w:r><w:del><w:r><w:delText>deleted </w:delText></w:r></w:del>'
        '<w:ins><w:r><w:t>inserted </w:t></w:r></w:ins>'
        '<w:r><w:rPr><w:vanish/></w:rPr><w:t>hidden </w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> HYPERLINK "https://x.example" </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>link</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'
        '<w:hyperlink><w:r><w:t> and more</w:t></w:r></w:hyperlink><w:r><w:t>.</w:t></w:r></w:p>',
        '<w:p><w:r><w:t>Line one</w:t><w:br/><w:t>line\ttwo</w:t><w:tab/><w:t>tabbed</w:t><w:noBreakHyphen/><w:t>x</w:t></w:r></w:p>',
        '<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:txbx><w:txbxContent>'
        '<w:p><w:r><w:t>Text in a box.</w:t></w:r></w:p></w:txbxContent></wps:txbx></w:drawing></mc:Choice>'
        '<mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>Text in a box.</w:t></w:r></w:p></w:txbxContent></w:pict>'
        '</mc:Fallback></mc:AlternateContent></w:r><w:r><w:t>Anchor paragraph.</w:t></w:r></w:p>',
        '<w:sdt><w:sdtPr/><w:sdtContent>' + p("Inside a content control.") + '</w:sdtContent></w:sdt>',
        '<w:sdt><w:sdtPr><w:docPartObj><w:docPartGallery w:val="Table of Contents"/></w:docPartObj></w:sdtPr>'
        '<w:sdtContent>' + p("1. Who we are 3") + '</w:sdtContent></w:sdt>',
        '<w:tbl><w:tr><w:tc>' + p("Purpose") + '</w:tc><w:tc>' + p("Basis") + p("second line") + '</w:tc></w:tr>'
        '<w:tr><w:tc>' + p("") + '</w:tc><w:tc>' + p("Consent") + '</w:tc></w:tr></w:tbl>',
    ])
    text, _ = reader.extract(raw_docx(body), "t.docx")
    assert text == (
        "Kept inserted link and more.\n\nLine one\nline two tabbed-x\n\nAnchor paragraph.\n\nText in a box.\n\n"
        "Inside a content control.\n\nPurpose | Basis second line\nConsent\n"
    )


def test_strict_ooxml_and_a_renamed_main_part():
    data = raw_docx(p("Strict text."), ns="http://purl.oclc.org/ooxml/wordprocessingml/main")
    assert spans(data) == [("paragraph", 0, "Strict text.")]
    moved = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(moved, "w") as zout:
        for info in zin.infolist():
            body = zin.read(info.filename)
            if info.filename == "_rels/.rels":
                body = body.replace(b"word/document.xml", b"word/main.xml")
            zout.writestr(info.filename.replace("word/document.xml", "word/main.xml"), body)
    assert spans(moved.getvalue()) == [("paragraph", 0, "Strict text.")]


def test_not_a_docx():
    with pytest.raises(GapcheckError, match=r"^x\.docx: not a valid DOCX file \(not a zip archive\)$"):
        reader.extract(b"Just some text", "x.docx")
    only = io.BytesIO()
    with zipfile.ZipFile(only, "w") as zf:
        zf.writestr("content.xml", "<office/>")
    with pytest.raises(GapcheckError, match=r"^x\.docx: not a valid DOCX file \(no word/document\.xml\)$"):
        reader.extract(only.getvalue(), "x.docx")
    with pytest.raises(GapcheckError, match=r"^x\.docx: not a valid DOCX file \(damaged zip archive: .*\)$"):
        reader.extract(raw_docx(p("Text."))[:200], "x.docx")
    with pytest.raises(GapcheckError, match=r"^x\.docx: not a valid DOCX file \(word/document\.xml: .*\)$"):
        reader.extract(raw_docx("<w:p><w:r><w:t>unclosed</w:r></w:p>"), "x.docx")
    with pytest.raises(GapcheckError, match=r"^x\.docx: empty policy \(no text\)$"):
        reader.extract(raw_docx(p("  ")), "x.docx")


def test_password_protected_or_legacy_doc():
    ole = bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 504
    with pytest.raises(GapcheckError, match=r"^secret\.docx: password-protected or legacy \.doc file; save as \.docx$"):
        reader.extract(ole, "secret.docx")


def test_zip_bomb_refused_from_declared_sizes(monkeypatch):
    monkeypatch.setattr(reader, "MAX_UNPACKED", 1024 * 1024)
    data = raw_docx(p("Small."), extra={"word/media/padding.bin": b"\x00" * (2 * 1024 * 1024)})
    assert len(data) < 20_000
    with pytest.raises(GapcheckError, match=r"^bomb\.docx: not a valid DOCX file \(unpacks to more than 1 MB; refused\)$"):
        reader.extract(data, "bomb.docx")


@pytest.mark.parametrize("dtd", [
    '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>',
    '<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
])
def test_xml_with_a_dtd_is_refused(dtd):
    data = raw_docx(p("&lol2; &xxe;"))
    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        doc = zin.read("word/document.xml").decode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            body = zin.read(info.filename)
            zout.writestr(info.filename, doc.replace("?><w:document", "?>" + dtd + "<w:document") if info.filename == "word/document.xml" else body)
    with pytest.raises(GapcheckError, match=r"^evil\.docx: not a valid DOCX file \(word/document\.xml declares a DTD; refused\)$"):
        reader.extract(out.getvalue(), "evil.docx")


def test_damaged_docx_never_leaks_a_library_error(example_docx):
    data = example_docx["gappy"]
    for k in range(0, len(data), len(data) // 25):
        damaged = data[:k] + bytes(255 - c for c in data[k:k + 16]) + data[k + 16:]
        try:
            text, blocks = reader.extract(damaged, "damaged.docx")
        except GapcheckError as e:
            assert str(e).startswith("damaged.docx: ") and "\n" not in str(e)
        else:
            blocks_ok(text, blocks)


def test_a_hundred_pages_read_quickly():
    data = markdown_to_docx((EXAMPLES / "thorough-policy.md").read_text(), copies=9)  # about 100 pages in Word
    start = time.perf_counter()
    text, blocks = reader.extract(data, "long.docx")
    assert time.perf_counter() - start < 5.0
    assert len(blocks) > 1700 and text.count("1.1 The controller") == 9


def test_sniff(example_docx):
    assert reader.sniff(example_docx["gappy"])
    assert not reader.sniff(b"PK\x03\x04" + b"\x00" * 100)  # a zip, but not a Word document
    assert not reader.sniff(b"%PDF-1.7")
