"""The CI integration examples work as shipped: the pre-commit hook definition, the GitHub Actions workflow
and the GitLab CI job are parsed, and their gapcheck steps are run (as bash, in a scratch git repository with
a policy) exactly as written, except for installing gapcheck, which the test environment has done."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from checker.config import load_config
from checker.waivers import load_waivers

from .conftest import EXAMPLES, ROOT
from .test_cli import run

CI = EXAMPLES / "ci"
BIN = str(Path(sys.executable).parent)


def _env(tmp_path: Path, **extra) -> dict:
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""), NO_COLOR="1")
    env.pop("GAPCHECK_DEBUG", None)
    env.update(extra)
    return env


def _bash(script: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture()
def project(tmp_path):
    """A git repository with policies/privacy.md on main (as origin/main) and a draft commit that drops the
    portability section."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    (tmp_path / "policies").mkdir()
    policy = tmp_path / "policies" / "privacy.md"
    text = (EXAMPLES / "thorough-policy.md").read_text("utf-8")
    policy.write_text(text, "utf-8")
    git = lambda *a: subprocess.run(["git", *a], cwd=tmp_path, check=True, capture_output=True)  # noqa: E731
    git("init", "-q", "-b", "main")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "policy")
    git("update-ref", "refs/remotes/origin/main", "HEAD")
    kept, skipping = [], False
    for line in text.splitlines():
        if line.startswith("#"):
            skipping = "portability" in line.lower()
        if not skipping:
            kept.append(line)
    policy.write_text("\n".join(kept) + "\n", "utf-8")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-am", "draft")
    return tmp_path


# ---------------------------------------------------------------- pre-commit


def test_pre_commit_hook_definition():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))
    assert isinstance(hooks, list) and hooks[0]["id"] == "gapcheck"
    hook = hooks[0]
    assert {"id", "name", "entry", "language"} <= set(hook) and hook["language"] == "python"
    assert hook["entry"] == "gapcheck"  # the console script pyproject.toml installs
    rx = re.compile(hook["files"])
    assert rx.search("policies/privacy.md") and rx.search("docs/Privacy-Notice.md") and not rx.search("src/app.py")
    assert not rx.search(".github/workflows/privacy-policy.yml")  # the workflow file is not a policy
    assert hook["pass_filenames"] is True


def test_pre_commit_hook_runs_as_pre_commit_would(capsys):
    hook = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))[0]
    code, out, _ = run([*hook["args"], str(EXAMPLES / "thorough-policy.md")], capsys)
    assert code == 0 and "\x1b[" not in out
    code, _, _ = run([*hook["args"], str(EXAMPLES / "thorough-policy.md"), str(EXAMPLES / "gappy-policy.md")], capsys)
    assert code == 1  # the commit is stopped


# ---------------------------------------------------------------- GitHub Actions


def _github_steps() -> dict[str, dict]:
    wf = yaml.safe_load((CI / "github-workflow.yml").read_text("utf-8"))
    return wf, {s.get("name") or s.get("uses"): s for s in wf["jobs"]["gapcheck"]["steps"]}


def test_github_workflow_shape():
    wf, steps = _github_steps()
    assert wf["permissions"]["security-events"] == "write"
    upload = next(s for s in steps.values() if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif"))
    assert upload["with"]["sarif_file"] in steps["Check the policies"]["run"]
    assert "pip install" in steps["Install gapcheck"]["run"]


def test_github_workflow_steps_run(project, tmp_path_factory):
    wf, steps = _github_steps()
    scratch = tmp_path_factory.mktemp("gh")
    summary, output = scratch / "summary.md", scratch / "output"
    env = _env(project, GITHUB_STEP_SUMMARY=str(summary), GITHUB_OUTPUT=str(output), GITHUB_BASE_REF="main",
               **{k: str(v) for k, v in wf["env"].items()})
    check = _bash(steps["Check the policies"]["run"], project, env)
    assert check.returncode == 0, check.stderr
    assert output.read_text("utf-8").strip() == "exit=1"  # the step goes on to write the summary
    sarif = json.loads((project / "gapcheck.sarif").read_text("utf-8"))
    assert sarif["version"] == "2.1.0"
    ET.parse(project / "gapcheck-junit.xml")
    diff = _bash(steps["What got worse since the base branch"]["run"], project, env)
    assert diff.returncode == 0, diff.stderr
    text = summary.read_text("utf-8")
    assert text.startswith("## gapcheck: \u274c gate failed") and "`gdpr.data_portability`" in text
    # the draft lost a disclosure main had: the diff says so, and the step writes an error annotation
    assert "## gapcheck diff: \u274c **regressed**" in text and "met \u2192 missing" in text
    assert "::error file=policies/privacy.md::" in diff.stdout
    gate = _bash(steps["Gate"]["run"].replace("${{ steps.check.outputs.exit }}", "1"), project, env)
    assert gate.returncode == 1  # the job fails


# ---------------------------------------------------------------- GitLab CI


def test_gitlab_job_runs_and_writes_its_junit_report(project):
    job = yaml.safe_load((CI / "gitlab-ci.yml").read_text("utf-8"))["gapcheck"]
    env = _env(project, **{k: str(v) for k, v in job["variables"].items()})
    assert any("pip install" in line for line in job["before_script"])
    shutil.copy(EXAMPLES / "thorough-policy.md", project / "policies" / "privacy.md")
    result = _bash("\n".join(job["script"]), project, env)
    assert result.returncode == 0, result.stderr
    junit = job["artifacts"]["reports"]["junit"]
    root = ET.parse(project / junit).getroot()
    assert root.tag == "testsuites" and int(root.get("tests")) >= 40
    for path in job["artifacts"]["paths"]:
        assert (project / path).is_file()


def test_gitlab_job_fails_when_the_gate_fails(project):
    job = yaml.safe_load((CI / "gitlab-ci.yml").read_text("utf-8"))["gapcheck"]
    shutil.copy(EXAMPLES / "gappy-policy.md", project / "policies" / "privacy.md")
    result = _bash("\n".join(job["script"]), project, _env(project, **{k: str(v) for k, v in job["variables"].items()}))
    assert result.returncode == 1
    root = ET.parse(project / job["artifacts"]["reports"]["junit"]).getroot()
    assert int(root.get("failures")) > 0


# ---------------------------------------------------------------- the example configuration and waivers


def test_example_config_and_waivers_are_valid():
    cfg = load_config(CI / "gapcheck.yaml")
    assert cfg.regime == "gdpr,ccpa" and cfg.min_score == (("gdpr", 80.0),)
    waivers = load_waivers(CI / "gapcheck-waivers.yaml")
    assert [w.id for w in waivers] == ["gdpr.dpo_contact", "ccpa.shine_the_light"]
    assert all(w.reason for w in waivers)
