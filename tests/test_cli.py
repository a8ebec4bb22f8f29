"""The command line end to end: through click's runner (fast) and a real subprocess (entry point, stderr)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from checker.cli import main

from .conftest import EXAMPLES, ROOT

THOROUGH = str(EXAMPLES / "thorough-policy.md")
GAPPY = str(EXAMPLES / "gappy-policy.md")


def run(args, capsys, stdin=None, monkeypatch=None):
    if stdin is not None:
        import io

        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def test_thorough_example_passes_the_gate(capsys):
    code, out, err = run([THOROUGH], capsys)
    assert code == 0, out + err
    assert "gdpr.right_to_erasure" in out and "\u2713" in out or "+ met" in out
    assert err == ""


def test_gappy_example_fails_the_gate(capsys):
    code, out, _ = run([GAPPY], capsys)
    assert code == 1
    assert "MISSING" in out and "gdpr.data_portability" in out


def test_regime_selection_and_order(capsys):
    code, out, _ = run([GAPPY, "--regime", "coppa,gdpr", "-f", "json"], capsys)
    data = json.loads(out)
    assert data["reports"][0]["regimes"] == ["coppa", "gdpr"]
    regimes = [f["regime"] for f in data["reports"][0]["findings"]]
    assert regimes == sorted(regimes, key=["coppa", "gdpr"].index)
    assert "ccpa" not in regimes


def test_unknown_regime_is_a_one_line_error(capsys):
    code, out, err = run([GAPPY, "--regime", "hipaa"], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "unknown regime 'hipaa'" in err


def test_missing_file(capsys, tmp_path):
    code, _, err = run([str(tmp_path / "nope.md")], capsys)
    assert code == 2 and "nope.md: no such file" in err and "Traceback" not in err


def test_unknown_option_is_one_line(capsys):
    code, _, err = run([GAPPY, "--frobnicate"], capsys)
    assert code == 2 and err.count("\n") == 1 and "--frobnicate" in err


def test_empty_and_binary_input(capsys, tmp_path):
    empty = tmp_path / "empty.md"
    empty.write_text("  \n\n")
    code, _, err = run([str(empty)], capsys)
    assert code == 2 and "empty.md: empty policy" in err
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\x00\x01\x02PK\x03\x04" * 50)
    code, _, err = run([str(binary)], capsys)
    assert code == 2 and "bin.txt: binary data" in err


def test_directory_input_checks_every_policy(capsys, tmp_path):
    (tmp_path / "a.md").write_text("You can ask us to delete your personal data.\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("We do not knowingly collect data from children under 13.\n")
    (tmp_path / "notes.pdf.bak").write_text("ignored")
    code, out, _ = run([str(tmp_path), "-f", "json"], capsys)
    paths = [r["document"]["path"] for r in json.loads(out)["reports"]]
    assert [Path(p).name for p in paths] == ["a.md", "b.txt"]


def test_stdin(capsys, monkeypatch):
    code, out, _ = run(["-", "-f", "json", "--regime", "gdpr"], capsys,
                       stdin=b"# Your rights\n\nYou may ask us to erase your personal data.\n", monkeypatch=monkeypatch)
    report = json.loads(out)["reports"][0]
    assert report["document"]["path"] == "<stdin>"
    erasure = next(f for f in report["findings"] if f["id"] == "gdpr.right_to_erasure")
    assert erasure["status"] == "met" and erasure["evidence"][0]["line"] == 3


def test_outputs_written_atomically_and_agree(capsys, tmp_path):
    js, txt = tmp_path / "r.json", tmp_path / "r.txt"
    code, out, _ = run([GAPPY, "-f", "json", "-o", str(js), "-o", str(txt)], capsys)
    assert code == 1
    assert js.read_text() == out
    assert "gdpr.right_to_erasure" in txt.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "r.txt"]


def test_bad_output_extension_writes_nothing(capsys, tmp_path):
    good, bad = tmp_path / "r.json", tmp_path / "r.docx"
    code, _, err = run([GAPPY, "-o", str(good), "-o", str(bad)], capsys)
    assert code == 2 and "r.docx" in err
    assert list(tmp_path.iterdir()) == []


def test_bad_rules_folder_names_file_and_line(capsys, tmp_path):
    pack = tmp_path / "bad"
    pack.mkdir()
    (pack / "pack.yaml").write_text("regime: gdpr\ntitle: Bad\nversion: 1.0.0\n")
    (pack / "r.yaml").write_text("requirements:\n  - id: gdpr.x\n    title: X\n    bogus: 1\n")
    code, _, err = run([GAPPY, "--rules", str(tmp_path)], capsys)
    assert code == 2 and err.count("\n") == 1
    assert "r.yaml:4:" in err and "bogus" in err


def test_rules_list(capsys):
    code, out, _ = run(["rules", "list"], capsys)
    assert code == 0
    assert "gdpr.right_to_erasure" in out and "GDPR Art. 17" in out and "critical" in out
    assert out.index("gdpr.") < out.index("ccpa.") < out.index("coppa.")


def test_rules_test_passes(capsys):
    code, out, _ = run(["rules", "test"], capsys)
    assert code == 0, out
    assert out.rstrip().endswith("0 failed")


def test_eval_command(capsys, tmp_path):
    (tmp_path / "p1.md").write_text("You have the right to request erasure of your personal data.\n")
    (tmp_path / "p2.md").write_text("We collect your e-mail address to send newsletters.\n")
    labels = tmp_path / "labels.yaml"
    labels.write_text(
        "policies:\n"
        "  p1.md:\n    gdpr.right_to_erasure: {label: met, quote: x}\n    gdpr.unknown_thing: {label: met, quote: x}\n"
        "  p2.md:\n    gdpr.right_to_erasure: {label: met, quote: x}\n")
    code, out, _ = run(["eval", str(labels), str(tmp_path), "-f", "json"], capsys)
    assert code == 0
    data = json.loads(out)
    s = data["by_id"]["gdpr.right_to_erasure"]
    assert (s["n"], s["accuracy"], s["fp"], s["tp"]) == (2, 0.5, 1, 0)
    assert data["not_checked"] == ["gdpr.unknown_thing"]
    assert data["disagreements"][0]["policy"] == "p2.md"


def test_subprocess_entry_points(tmp_path):
    env = dict(os.environ, NO_COLOR="1")
    for cmd in ([sys.executable, "-m", "checker"], [str(Path(sys.executable).parent / "gapcheck")]):
        if not Path(cmd[0]).exists():
            continue
        proc = subprocess.run(cmd + [GAPPY, "--regime", "gdpr"], capture_output=True, text=True, env=env, cwd=ROOT)
        assert proc.returncode == 1 and "gdpr.right_to_erasure" in proc.stdout
        assert "\x1b[" not in proc.stdout  # no colour when not a terminal
        proc = subprocess.run(cmd + [str(tmp_path / "missing.md")], capture_output=True, text=True, env=env)
        assert proc.returncode == 2 and proc.stdout == ""
        assert proc.stderr.startswith("gapcheck: error:") and proc.stderr.count("\n") == 1


def test_version_and_help(capsys):
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.startswith("gapcheck ")
    code, out, _ = run(["check", "--help"], capsys)
    assert code == 0 and "--regime" in out and "--rules" in out


def test_as_of_decides_whether_the_date_is_recent(capsys, tmp_path):
    policy = tmp_path / "p.md"
    policy.write_text("# Privacy\n\nLast updated: 1 March 2026\n", encoding="utf-8")
    for as_of, status in (("2026-06-01", "met"), ("2027-06-01", "partial")):
        code, out, err = run([str(policy), "--regime", "ccpa", "-f", "json", "--as-of", as_of], capsys)
        found = {f["id"]: f for f in json.loads(out)["reports"][0]["findings"]}
        assert found["ccpa.last_updated"]["status"] == status, as_of


def test_bad_as_of_is_a_one_line_error(capsys, tmp_path):
    code, out, err = run([GAPPY, "--as-of", "26/11/2026"], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "'26/11/2026' is not a date (YYYY-MM-DD)" in err
