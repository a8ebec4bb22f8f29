"""The acceptance test for readers: the same policy as Markdown, as a saved web page (with navigation, a cookie
banner and a footer), as DOCX and as PDF gets the same status for at least 96% of the requirements, and every
quote is the extracted text at its offsets. Through the whole pipeline (format chosen by the registry, as the
CLI does), on the two example policies and on real policies of the corpus."""
from __future__ import annotations

from pathlib import Path

import pytest

from checker.api import check_document, read_document
from test_reader_docx import markdown_to_docx
from test_reader_html import markdown_to_html as md_to_html_page_body
from test_reader_html import web_page
from test_reader_pdf import markdown_to_html as md_to_print_html
from test_reader_pdf import render as render_pdf

from .conftest import CORPUS, EXAMPLES

AS_OF = __import__("datetime").date(2026, 11, 26)
SOURCES = [EXAMPLES / "thorough-policy.md", EXAMPLES / "gappy-policy.md"] + [
    CORPUS / "policies" / name for name in ("zulip.md", "readthedocs.md")]


def _converted(md_path: Path) -> dict[str, tuple[str, bytes]]:
    md = md_path.read_text("utf-8")
    stem = md_path.stem
    return {
        "html": (f"{stem}.html", web_page(md_to_html_page_body(md), stem, False).encode("utf-8")),
        "docx": (f"{stem}.docx", markdown_to_docx(md)),
        "pdf": (f"{stem}.pdf", render_pdf(md_to_print_html(md))),
    }


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_same_policy_in_four_formats_agrees(source, packs):
    if not source.is_file():
        pytest.skip(f"{source} not found")
    original = check_document(read_document(str(source)), packs, AS_OF)
    want = {f.id: f.status for f in original.findings}
    for fmt, (name, data) in _converted(source).items():
        doc = read_document(name, data=data)
        assert doc.format == fmt
        report = check_document(doc, packs, AS_OF)
        got = {f.id: f.status for f in report.findings}
        same = sum(want[r] == got[r] for r in want)
        differ = {r: (want[r], got[r]) for r in want if want[r] != got[r]}
        assert same / len(want) >= 0.96, f"{source.name} as {fmt}: {same}/{len(want)}; {differ}"
        for f in report.findings:
            for ev in f.evidence:
                assert doc.text[ev.start:ev.end] == ev.quote, (fmt, f.id)
                assert doc.line_of(ev.start) == ev.line


def test_gapcheck_extract_shows_the_text_reports_quote(tmp_path, capsys):
    from .test_cli import run

    name, data = _converted(EXAMPLES / "gappy-policy.md")["docx"]
    path = tmp_path / name
    path.write_bytes(data)
    doc = read_document(str(path))
    code, out, _ = run(["extract", str(path)], capsys)
    assert code == 0 and out.rstrip("\n") == doc.text.rstrip("\n")
    code, out, _ = run(["extract", str(path), "-n"], capsys)
    lines = out.splitlines()
    assert lines[0].split(None, 1) == ["1", doc.text.split("\n")[0]]
    code, out, _ = run(["extract", str(path), "--structure"], capsys)
    assert out.startswith(f"{path}: docx, binary format,") and "Information We Collect" in out
    code, _, err = run(["extract", str(tmp_path / "none.pdf")], capsys)
    assert code == 2 and "none.pdf" in err
