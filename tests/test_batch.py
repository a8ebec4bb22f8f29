"""Batch runs: many policies, in parallel, JSON Lines streamed, one bad file not stopping the rest, the size
limit, the summary table and the progress bar."""
from __future__ import annotations

import json
import shutil

import pytest

from checker.api import Run, check, parse_size
from checker.model import GapcheckError

from .conftest import EXAMPLES
from .test_cli import run

AS_OF = ["--as-of", "2026-11-26"]


@pytest.fixture()
def batch(tmp_path):
    """Ten policies (both examples, five times each) and one unreadable file among them."""
    folder = tmp_path / "policies"
    folder.mkdir()
    for i in range(5):
        shutil.copy(EXAMPLES / "thorough-policy.md", folder / f"{i}-thorough.md")
        shutil.copy(EXAMPLES / "gappy-policy.md", folder / f"{i}-gappy.md")
    (folder / "3-broken.md").write_bytes(b"\x00\x01\x02binary\x00" * 50)
    return folder


def test_one_bad_file_does_not_stop_the_others(batch, capsys):
    code, out, err = run([str(batch), "-f", "json", *AS_OF], capsys)
    data = json.loads(out)
    assert code == 2
    assert len(data["reports"]) == 10
    assert data["errors"] == [{"path": str(batch / "3-broken.md"), "message": f"{batch / '3-broken.md'}: binary data, not a text policy"}]
    assert err.strip().splitlines() == [f"gapcheck: error: {batch / '3-broken.md'}: binary data, not a text policy"]


def test_files_of_a_folder_not_in_a_policy_format_are_named_not_read(tmp_path, capsys):
    """A folder's other files are left out, and a note says so (how many, of which kinds, the first); hidden
    files and rule tests are left out without a note, and the exit code does not change."""
    folder = tmp_path / "mixed"
    (folder / "old").mkdir(parents=True)
    shutil.copy(EXAMPLES / "thorough-policy.md", folder / "a.md")
    (folder / "old" / "b.DOC").write_bytes(b"\xd0\xcf\x11\xe0")
    (folder / "old" / "c.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    (folder / "LICENSE").write_text("MIT", "utf-8")
    (folder / ".hidden.rtf").write_text("x", "utf-8")
    (folder / "a.test.md").write_text("x", "utf-8")
    code, out, err = run([str(folder), "-f", "json", *AS_OF], capsys)
    assert code == 0 and [r["document"]["path"] for r in json.loads(out)["reports"]] == [str(folder / "a.md")]
    assert err.splitlines() == [f"gapcheck: note: 3 files of the folders given are not in a policy format and were "
                                f"not read: 2 .doc, 1 without an extension (the first: {folder / 'LICENSE'})"]
    code, out, err = run([str(folder / "a.md"), "-f", "json", *AS_OF], capsys)
    assert code == 0 and err == ""  # a file named on the command line is never a note


def test_reports_written_for_the_good_files_of_a_batch(batch, tmp_path, capsys):
    target = tmp_path / "all.json"
    code, _, _ = run([str(batch), "-o", str(target), *AS_OF], capsys)
    assert code == 2 and len(json.loads(target.read_text("utf-8"))["reports"]) == 10


def test_a_single_bad_file_is_a_plain_error_and_nothing_is_written(batch, tmp_path, capsys):
    target = tmp_path / "r.json"
    code, out, err = run([str(batch / "3-broken.md"), "-o", str(target), *AS_OF], capsys)
    assert code == 2 and out == "" and not target.exists() and err.count("\n") == 1


def test_jsonl_streams_one_line_per_policy_and_matches_json(batch, capsys):
    code, out, err = run([str(batch), "-f", "jsonl", "-j", "1", *AS_OF], capsys)
    lines = out.splitlines()
    assert code == 2 and len(lines) == 11
    objs = [json.loads(line) for line in lines]
    assert objs[6]["error"].endswith("binary data, not a text policy")  # in input order (sorted names)
    assert [o["document"]["path"] for o in objs] == sorted(str(p) for p in batch.iterdir())
    _, whole, _ = run([str(batch), "-f", "json", *AS_OF], capsys)
    reports = json.loads(whole)["reports"]
    good = [o for o in objs if "error" not in o]
    assert [{k: o[k] for k in reports[0]} for o in good] == reports
    assert all(o["schema_version"] == "1" and o["check_date"] == "2026-11-26" for o in objs)
    assert "Summary (10 checked, 1 could not be read)" in err  # the table goes to stderr


def test_parallel_output_is_identical_to_serial(batch, capsys):
    _, serial, _ = run([str(batch), "-f", "jsonl", "-j", "1", *AS_OF], capsys)
    _, parallel, _ = run([str(batch), "-f", "jsonl", "-j", "2", *AS_OF], capsys)
    assert serial == parallel
    _, serial, _ = run([str(batch), "-f", "json", "-j", "1", *AS_OF], capsys)
    _, parallel, _ = run([str(batch), "-f", "json", "-j", "2", *AS_OF], capsys)
    assert serial == parallel


def test_jsonl_file_output_is_atomic(batch, tmp_path, capsys):
    target = tmp_path / "out.jsonl"
    code, out, _ = run([str(batch), "-f", "text", "-o", str(target), *AS_OF], capsys)
    assert len(target.read_text("utf-8").splitlines()) == 11 and "Summary (10 checked" in out
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.jsonl")]


def test_summary_table_in_the_text_report(batch, capsys):
    _, out, _ = run([str(batch), *AS_OF], capsys)
    table = out[out.index("Summary (10 checked, 1 could not be read)"):].splitlines()
    assert table[1].split() == ["policy", "score", "met", "partial", "missing", "n/a", "gate"]
    rows = {line.split()[0].rsplit("/", 1)[-1]: line.split() for line in table[2:13]}
    assert rows["0-thorough.md"][-1] == "passed" and rows["0-gappy.md"][-1] == "FAILED"
    assert rows["3-broken.md"][-1] == "ERROR"


def test_progress_bar_on_request(batch, capsys):
    code, out, err = run([str(batch), "-f", "json", "--progress", *AS_OF], capsys)
    assert "checking 11/11 100%" in err and json.loads(out)
    code, out, err = run([str(batch), "-f", "json", *AS_OF], capsys)
    assert "checking" not in err  # not a terminal: no bar unless asked


def test_max_size(tmp_path, capsys):
    p = tmp_path / "p.md"
    p.write_text((EXAMPLES / "gappy-policy.md").read_text("utf-8"), "utf-8")
    code, out, err = run([str(p), "--max-size", "2kB", *AS_OF], capsys)
    assert code == 2 and out == "" and "larger than the size limit of 2 kB (--max-size), refused" in err
    code, _, _ = run([str(p), "--max-size", "1MB", *AS_OF], capsys)
    assert code == 1
    code, _, err = run([str(p), "--max-size", "lots", *AS_OF], capsys)
    assert code == 2 and "not a size" in err


@pytest.mark.parametrize("text, size", [("20MB", 20 << 20), ("500k", 500 << 10), ("1.5 GB", int(1.5 * (1 << 30))),
                                        ("1000", 1000), ("64KiB", 64 << 10)])
def test_parse_size(text, size):
    assert parse_size(text) == size


def test_parse_size_rejects_nonsense():
    for text in ("", "0", "-5MB", "5TB", "MB"):
        with pytest.raises(GapcheckError):
            parse_size(text)


def test_library_check_lists_errors_in_a_batch_and_raises_for_one(batch):
    result = check([str(batch)], jobs=2)
    assert len(result.reports) == 10 and len(result.errors) == 1 and result.exit_code() == 2
    with pytest.raises(GapcheckError, match="binary data"):
        check([str(batch / "3-broken.md")])
    r = Run([str(batch)])
    assert len(r.paths) == 11
