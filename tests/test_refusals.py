"""Every refusal of issue 7, through the real command (a subprocess): exit 2, one line on stderr naming the file
and the reason, no traceback, nothing on stdout, no report file written."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import EXAMPLES, ROOT


def _gapcheck(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("GAPCHECK_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "checker", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def _image_only_pdf() -> bytes:
    import base64

    import weasyprint
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (60, 20), "white").save(buf, "PNG")
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return weasyprint.HTML(string=f'<img src="{uri}" style="width:10cm">').write_pdf()


def _encrypted_pdf() -> bytes:
    import pypdf
    import weasyprint

    reader = pypdf.PdfReader(io.BytesIO(weasyprint.HTML(string="<h1>Privacy</h1><p>We keep data.</p>").write_pdf()))
    writer = pypdf.PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _not_a_docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not a word document")
    return buf.getvalue()


CASES = {
    "empty.md": (b"", "empty policy (no text)"),
    "blank.txt": (b"  \n\t\n   \n", "empty policy (no text)"),
    "binary.md": (b"\x00\x01\x02\x03binary\x00" * 100, "binary data, not a text policy"),
    "scan.pdf": (_image_only_pdf, "no text layer (a scanned or image-only PDF); run OCR first"),
    "locked.pdf": (_encrypted_pdf, "encrypted PDF, cannot read it"),
    "broken.pdf": (b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage", "not a valid PDF"),
    "legacy.docx": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "password-protected or legacy .doc file"),
    "other.docx": (_not_a_docx, "not a valid DOCX file"),
    "page.html": (b"<html><head><script>var a=1</script></head><body><nav>Home</nav></body></html>",
                  "no policy text found in the HTML"),
    "blob.xyz": (bytes(range(256)) * 20, "unsupported file type '.xyz', and the content is not recognisable"),
}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("refusals")
    for name, (content, _) in CASES.items():
        (folder / name).write_bytes(content() if callable(content) else content)
    return folder


@pytest.mark.parametrize("name", sorted(CASES))
def test_refused_with_exit_2_and_one_line(files, name):
    out_file = files / f"{name}.report.json"
    proc = _gapcheck(name, "-o", out_file.name, cwd=files)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"gapcheck: error: {name}: ") and CASES[name][1] in proc.stderr, proc.stderr
    assert not out_file.exists()


def test_size_limit(files):
    big = files / "big.md"
    big.write_text("We keep your data. " * 2000, "utf-8")
    proc = _gapcheck(big.name, "--max-size", "10kB", cwd=files)
    assert proc.returncode == 2 and proc.stderr == (
        "gapcheck: error: big.md: larger than the size limit of 10 kB (--max-size), refused\n")


def test_unreadable_paths(files):
    proc = _gapcheck("no-such-file.md", cwd=files)
    assert proc.returncode == 2 and proc.stderr == "gapcheck: error: no-such-file.md: no such file\n"
    (files / "dangling.md").symlink_to(files / "gone.md")
    proc = _gapcheck("dangling.md", cwd=files)
    assert proc.returncode == 2 and "dangling.md" in proc.stderr and proc.stderr.count("\n") == 1


def test_a_folder_run_reports_each_bad_file_and_checks_the_rest(files, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    for name in ("empty.md", "scan.pdf", "locked.pdf"):
        (folder / name).write_bytes((files / name).read_bytes())
    (folder / "good.md").write_bytes((EXAMPLES / "thorough-policy.md").read_bytes())
    (folder / "good.html").write_bytes(b"<html><body><main><h1>Privacy</h1><p>We are Example Ltd.</p></main></body></html>")
    proc = _gapcheck("mixed", "-f", "json", "-o", "mixed.json", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 3 and all(e.startswith("gapcheck: error: mixed/") for e in errors)
    import json

    data = json.loads(proc.stdout)
    assert [r["document"]["path"] for r in data["reports"]] == ["mixed/good.html", "mixed/good.md"]
    assert [r["document"]["format"] for r in data["reports"]] == ["html", "markdown"]
    assert sorted(e["path"] for e in data["errors"]) == ["mixed/empty.md", "mixed/locked.pdf", "mixed/scan.pdf"]
    assert (tmp_path / "mixed.json").is_file()
