"""The PDF reader (checker/readers/pdf.py): PDFs rendered here with WeasyPrint from the example policies, a few
written by hand (fonts scaled by the text matrix, words placed one by one), and hostile or broken files."""
from __future__ import annotations

import base64
import html
import io
import re
import zlib
from pathlib import Path

import pytest

from checker.model import GapcheckError
from reader_checks import blocks_ok
from checker.readers import pdf

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

import weasyprint

HEADER = "Lumen Notes - Privacy Policy"
PAGE_CSS = (
    "@page { size: A4; margin: 2.5cm 2cm; "
    f"@top-center {{ content: '{HEADER}'; font-size: 9pt }} "
    "@bottom-center { content: 'Page ' counter(page) ' of ' counter(pages); font-size: 9pt } } "
    "body { font-family: serif; font-size: 11pt } td { border: 1px solid #999; padding: 3px } "
    "table { border-collapse: collapse }"
)


def markdown_to_html(md: str) -> str:
    """Enough Markdown for the example policies: # headings, - and 1. items (nested by indent), | tables, **bold**."""
    def inline(t: str) -> str:
        return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html.escape(t))

    out: list[str] = []
    para: list[str] = []
    open_list = ""  # "ul" or "ol" while a list is open
    open_table = False

    def close(keep: str = "") -> None:
        nonlocal open_list, open_table
        if para:
            out.append(f"<p>{inline(' '.join(para))}</p>")
            para.clear()
        if open_list and keep != "list":
            out.append(f"</{open_list}>")
            open_list = ""
        if open_table and keep != "table":
            out.append("</table>")
            open_table = False

    for line in md.splitlines():
        s = line.strip()
        heading = re.match(r"(#{1,6})\s+(.*)", s)
        if heading:
            close()
            n = len(heading.group(1))
            out.append(f"<h{n}>{inline(heading.group(2))}</h{n}>")
        elif re.match(r"\|?\s*:?-{3}", s):
            continue
        elif s.startswith("|"):
            close("table")
            if not open_table:
                out.append("<table>")
                open_table = True
            out.append("<tr>" + "".join(f"<td>{inline(c.strip())}</td>" for c in s.strip("|").split("|")) + "</tr>")
        elif re.match(r"(?:[-*]|\d{1,2}\.) ", s):
            close("list")
            tag = "ol" if s[0].isdigit() else "ul"
            if open_list != tag:
                out.append(f"</{open_list}><{tag}>" if open_list else f"<{tag}>")
                open_list = tag
            depth = (len(line) - len(line.lstrip())) // 2
            out.append(f"<li style='margin-left: {depth * 1.5}em'>{inline(s.split(' ', 1)[1])}</li>")
        elif not s:
            close("list" if open_list else "table" if open_table else "")
        elif open_list and not para and line.startswith("  "):  # an item's continuation line
            out[-1] = out[-1].replace("</li>", f" {inline(s)}</li>")
        else:
            para.append(s)
    close()
    return f"<html><head><style>{PAGE_CSS}</style></head><body>{''.join(out)}</body></html>"


def render(body_html: str) -> bytes:
    return weasyprint.HTML(string=body_html).write_pdf()


@pytest.fixture(scope="module")
def example_pdfs() -> dict[str, bytes]:
    return {name: render(markdown_to_html((EXAMPLES / f"{name}-policy.md").read_text()))
            for name in ("thorough", "gappy")}


def raw_pdf(pages: list[str], flate: bool = False) -> bytes:
    """A PDF written by hand: each page one content stream (deflated if `flate`); /F1 Courier, /F2 Courier-Bold."""
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", "",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Courier-Bold >>"]
    kids = []
    for content in pages:
        extra = ""
        if flate:
            content, extra = zlib.compress(content.encode("latin-1"), 9).decode("latin-1"), " /Filter /FlateDecode"
        objs.append(f"<< /Length {len(content)}{extra} >>\nstream\n{content}\nendstream")
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {len(objs)} 0 R "
                    "/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> >>")
        kids.append(f"{len(objs)} 0 R")
    objs[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out, offsets = "%PDF-1.4\n", []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{obj}\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n" + "".join(f"{o:010d} 00000 n \n" for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return out.encode("latin-1")


def placed_words(x: float, y: float, size: float, words: str, font: str = "F1") -> str:
    """Words drawn one by one with a 1-point font scaled by the text matrix, and no space characters."""
    ops = []
    for word in words.split():
        ops.append(f"BT /{font} 1 Tf {size} 0 0 {size} {x:.1f} {y} Tm ({word}) Tj ET")
        x += (len(word) * 0.6 + 0.3) * size
    return "\n".join(ops)


@pytest.mark.parametrize("name", ["thorough", "gappy"])
def test_the_examples_extract_to_well_formed_blocks(example_pdfs, name):
    # that they then get the Markdown original's statuses is test_formats_agree.py's acceptance test
    text, blocks = pdf.extract(example_pdfs[name], f"{name}.pdf")
    blocks_ok(text, blocks)


def test_layout_is_rebuilt(example_pdfs):
    text, blocks = pdf.extract(example_pdfs["thorough"], "thorough.pdf")
    by_text = {text[b.start:b.end]: b for b in blocks}
    assert by_text["Lumen Notes Privacy Policy"].kind == "heading" and by_text["Lumen Notes Privacy Policy"].level == 1
    assert (by_text["1. Who we are"].kind, by_text["1. Who we are"].level) == ("heading", 2)
    assert (by_text["1.1 The controller"].kind, by_text["1.1 The controller"].level) == ("heading", 3)
    assert by_text["Last updated: 1 October 2026"].kind == "heading"  # a wholly bold line
    assert by_text["Email: privacy@lumennotes.com"].kind == "item"
    assert by_text["Email: privacy@lumennotes.com"].level == 0
    # a paragraph's lines joined with spaces, the paragraph kept whole
    assert ("Lumen Notes Ltd is the controller responsible for your personal data. We are a private company limited "
            "by shares, registered in Ireland under company number 704219.") in by_text
    # table rows: one line each, the wrapped cells rejoined
    assert "\nPurpose | Data used | Legal basis\n" in text
    assert ("\nCreating and running your account, syncing notes | Account details, content, device data | "
            "Contract, Art. 6(1)(b)\n") in text
    # running header, page numbers and form feeds are gone; paragraphs are separated by a blank line
    assert HEADER not in text and "Page 1 of" not in text and "\f" not in text
    assert "\n\n1.2 Our US subsidiary\n\n" in text


def test_hyphenation_indents_nested_lists_and_page_breaks():
    sentence = "We keep information about internationalization considerations for documentation purposes."
    long = " ".join([sentence] * 40)
    page = f"""<html lang=en><head><style>
      @page {{ size: A5; margin: 2cm; @bottom-right {{ content: counter(page) }} @top-left {{ content: 'ACME draft' }} }}
      body {{ hyphens: auto; text-align: justify; font-size: 10pt }}
      p.i {{ margin: 0; text-indent: 2em }} ol.a {{ list-style-type: lower-alpha }}
    </style></head><body>
      <h1>Privacy Notice</h1>
      <p class=i>First indented paragraph that runs for quite a while so that it wraps onto a second line here.</p>
      <p class=i>Second indented paragraph, also long enough to wrap onto another line of text for this test.</p>
      <p>{long}</p>
      <ol><li>First numbered item which is long enough to wrap across more than one line on this narrow page.</li>
          <li>Second numbered item.</li></ol>
      <ul><li>Outer bullet<ul><li>Inner bullet one</li><li>Inner bullet two</li></ul></li><li>Outer again</li></ul>
      <ol class=a><li>Lettered item.</li></ol>
      <p><b>Information that we collect will be stored and processed in the United States</b> under this notice.</p>
      <p>Use the form at https://example.com/privacy/requests/california/consumer/form/index.html today.</p>
    </body></html>"""
    data = render(page)
    text, blocks = pdf.extract(data, "notice.pdf")
    blocks_ok(text, blocks)
    assert long in text  # hyphenated line ends joined, the paragraph whole across the page break
    assert "ACME draft" not in text and not re.search(r"(?m)^\d+$", text)
    spans = [(b.kind, b.level, text[b.start:b.end]) for b in blocks]
    assert ("paragraph", 0, "First indented paragraph that runs for quite a while so that it wraps onto a second "
            "line here.") in spans
    assert ("item", 0, "First numbered item which is long enough to wrap across more than one line on this "
            "narrow page.") in spans
    assert ("item", 1, "Inner bullet two") in spans and ("item", 0, "Outer again") in spans
    assert ("item", 0, "Lettered item.") in spans
    assert "\n1. First numbered item" in text and "\na. Lettered item." in text
    # a bold lead-in filling the first line is not a heading; a link broken at a "/" is rejoined
    assert ("paragraph", 0, "Information that we collect will be stored and processed in the United States under "
            "this notice.") in spans
    assert ("paragraph", 0, "Use the form at https://example.com/privacy/requests/california/consumer/form/index.html "
            "today.") in spans


def test_fonts_scaled_by_the_matrix_and_words_without_spaces():
    page = "\n".join([
        placed_words(72, 720, 20, "Privacy Policy", "F2"),
        placed_words(72, 690, 11, "We collect your name and email address when you sign up for an"),
        placed_words(72, 676, 11, "account, and we use them only to run the service for you."),
        placed_words(72, 650, 14, "Your rights", "F2"),
        placed_words(72, 625, 11, "You can ask us for a copy of your data at any time."),
    ])
    text, blocks = pdf.extract(raw_pdf([page]), "plain.pdf")
    assert [(b.kind, b.level, text[b.start:b.end]) for b in blocks] == [
        ("heading", 1, "Privacy Policy"),
        ("paragraph", 0, "We collect your name and email address when you sign up for an account, and we use them "
                         "only to run the service for you."),
        ("heading", 2, "Your rights"),
        ("paragraph", 0, "You can ask us for a copy of your data at any time."),
    ]


def test_running_lines_need_most_pages():
    """A line at the top of one page only is text; "Page n" stamps go even on a one-page document."""
    pages = [placed_words(72, 760, 10, "Only on the first page") if n == "one" else "" for n in ("one", "two", "three")]
    pages = [f"{top}\n" + placed_words(72, 740, 10, "ACME Ltd privacy notice") + "\n"
             + placed_words(72, 700, 10, f"Body text of page {n}.") + "\n" + placed_words(72, 60, 10, f"- {k} -")
             for k, (n, top) in enumerate(zip(("one", "two", "three"), pages), 1)]
    text, _ = pdf.extract(raw_pdf(pages), "three.pdf")
    assert text == "Only on the first page\n\nBody text of page one.\n\nBody text of page two.\n\nBody text of page three.\n"
    text, _ = pdf.extract(raw_pdf([pages[1]]), "one.pdf")
    assert text == "ACME Ltd privacy notice\n\nBody text of page two.\n"


def encrypt(data: bytes, user_password: str) -> bytes:
    import pypdf
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_encrypted_pdf_is_refused(example_pdfs):
    with pytest.raises(GapcheckError, match=r"^locked\.pdf: encrypted PDF, cannot read it$"):
        pdf.extract(encrypt(example_pdfs["gappy"], "secret"), "locked.pdf")


def test_pdf_encrypted_with_an_empty_user_password_is_read(example_pdfs):
    plain = pdf.extract(example_pdfs["gappy"], "gappy.pdf")
    assert pdf.extract(encrypt(example_pdfs["gappy"], ""), "owner-only.pdf") == plain


def test_image_only_pdf_is_refused():
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (600, 300), "white").save(png, "PNG")
    uri = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()
    data = render(f"<html><body><img src='{uri}'></body></html>")
    with pytest.raises(GapcheckError, match=r"^scan\.pdf: no text layer \(a scanned or image-only PDF\); run OCR first$"):
        pdf.extract(data, "scan.pdf")


def test_blank_pdf_is_empty():
    with pytest.raises(GapcheckError, match=r"^blank\.pdf: empty policy \(no text\)$"):
        pdf.extract(render("<html><body><p></p></body></html>"), "blank.pdf")


@pytest.mark.parametrize("data", [b"", b"%PDF-1.7\nnot really a PDF", b"\x00" * 64])
def test_corrupt_pdf_is_refused(data):
    with pytest.raises(GapcheckError, match=r"^bad\.pdf: not a valid PDF \(.+\)$"):
        pdf.extract(data, "bad.pdf")


def test_damaged_pdfs_never_leak_a_library_error(example_pdfs):
    data = example_pdfs["gappy"]
    cuts = [data[: len(data) // 2], data[: len(data) * 9 // 10]]
    flips = [data[:k] + bytes(255 - c for c in data[k:k + 40]) + data[k + 40:] for k in range(200, len(data), len(data) // 12)]
    for damaged in cuts + flips:
        try:
            text, blocks = pdf.extract(damaged, "damaged.pdf")
        except GapcheckError as e:
            assert str(e).startswith("damaged.pdf: ") and "\n" not in str(e)
        else:
            blocks_ok(text, blocks)


def test_page_cap(monkeypatch):
    monkeypatch.setattr(pdf, "MAX_PAGES", 2)
    data = raw_pdf([placed_words(72, 700, 10, f"Page body {n}.") for n in range(3)])
    with pytest.raises(GapcheckError, match=r"^big\.pdf: 3 pages, more than the 2 a policy may have; refused$"):
        pdf.extract(data, "big.pdf")


def test_time_guard(monkeypatch):
    monkeypatch.setattr(pdf, "MAX_SECONDS", -1.0)
    with pytest.raises(GapcheckError, match=r"^slow\.pdf: reading took longer than .* \(at page 1 of 1\); refused$"):
        pdf.extract(raw_pdf([placed_words(72, 700, 10, "Some text.")]), "slow.pdf")


def test_decompression_bomb_is_refused_before_inflating(monkeypatch):
    monkeypatch.setattr(pdf, "MAX_UNPACKED", 1024 * 1024)
    data = raw_pdf([placed_words(72, 700, 12, "Hello world.") + " " * (3 * 1024 * 1024)], flate=True)
    assert len(data) < 10_000
    with pytest.raises(GapcheckError, match=r"^bomb\.pdf: compressed streams unpack to more than 1 MB; refused$"):
        pdf.extract(data, "bomb.pdf")
    monkeypatch.setattr(pdf, "MAX_UNPACKED", 8 * 1024 * 1024)
    assert pdf.extract(data, "bomb.pdf")[0] == "Hello world.\n"  # under the limit it is read


def test_sniff(example_pdfs):
    assert pdf.sniff(example_pdfs["gappy"])
    assert pdf.sniff(b"\xef\xbb\xbfjunk before the header " + example_pdfs["gappy"])
    assert not pdf.sniff(b"# A Markdown policy\n\nmentions %PDF- files" + b" " * 1100 + b"%PDF-1.7")
    assert not pdf.sniff(b"PK\x03\x04word/document.xml")
