"""Command line: options -> library call -> formatter -> exit code. Only this module imports click.

Exit codes: 0 gate passed, 1 gate failed (by default: a critical or major requirement missing; see --fail-on,
--fail-severity, --min-score, waivers), 2 error — also when a formatter fails. Errors are one
line on stderr naming the file (and line, for rule files); never a traceback.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import click

from . import __version__
from .api import Run, parse_regimes, parse_size, skipped_note
from .batch import Failure
from .formatters import FILE_ONLY_FORMATS, FORMATTERS, format_for_path, output_formats, render
from .formatters.diff_format import DIFF_FORMATS
from .config import Config, load_config
from .formatters.text_format import summary_table
from .model import FAIL_ON, MODEL_CLAUSE_LABEL, SEVERITIES, Gate, GapcheckError, Result
from .packs import load_packs
from .waivers import DEFAULT_FILE as DEFAULT_WAIVERS

EXIT_ERROR = 2


class _DefaultGroup(click.Group):
    """`gapcheck POLICY...` runs `check`; `gapcheck rules ...` / `gapcheck eval ...` run the subcommands."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["check"] + list(args)
        elif not args:
            args = ["check"]
        return super().parse_args(ctx, args)

    def format_help(self, ctx, formatter):
        super().format_help(ctx, formatter)
        check_cmd = self.commands["check"]
        with formatter.section("Options for checking (gapcheck POLICY... [options])"):
            formatter.write_dl([p.get_help_record(ctx) for p in check_cmd.get_params(ctx)
                                if isinstance(p, click.Option) and p.get_help_record(ctx) and "--help" not in p.opts])


def _write_all(files: dict[str, str | bytes]) -> None:
    """Write every report file atomically: each goes to a temporary file beside its target first, and only when
    all are complete are they moved into place, so a failed run leaves no report, and no half of one, behind."""
    staged: list[tuple[str, str]] = []
    umask = os.umask(0)
    os.umask(umask)
    try:
        for path, content in files.items():
            target = Path(path)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=str(target.parent))
            staged.append((tmp, path))
            os.chmod(tmp, 0o666 & ~umask)  # as an ordinary new file would be (mkstemp makes it private)
            if isinstance(content, bytes):
                with os.fdopen(fd, "wb") as fh:
                    fh.write(content)
            else:
                with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                    fh.write(content)
        for tmp, path in staged:
            os.replace(tmp, path)
    except OSError as e:
        for tmp, _ in staged:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise GapcheckError(f"{path}: cannot write ({e.strerror or e})") from None


def _check_output_folders(paths) -> None:
    for path in paths:
        parent = Path(path).parent
        if not parent.is_dir():
            raise GapcheckError(f"{path}: folder {parent} does not exist")


def _stdout_unicode() -> bool:
    enc = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return enc.startswith("utf")


@click.group(cls=_DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="gapcheck", message="%(prog)s %(version)s")
def cli() -> None:
    """Check privacy policies against GDPR, California law (CCPA/CPRA, 1798.83, CalOPPA) and COPPA.

    \b
    gapcheck POLICY... [options]      check policies (the default command)
    gapcheck diff OLD NEW             what got worse (or better) between two versions
    gapcheck extract POLICY           the text gapcheck reads from a policy (HTML, PDF, DOCX...)
    gapcheck explain ID               what a requirement or red flag asks for, and how to fix a gap
    gapcheck init                     write a commented gapcheck.yaml and organisation profile
    gapcheck rules list|test          list the requirements / run the rule tests
    gapcheck eval LABELS POLICY_DIR   measure accuracy against a labelled corpus
    """


_regime_option = click.option(
    "-r", "--regime", default="all", show_default=True, metavar="LIST",
    help="Regimes to check, comma-separated: gdpr, ccpa, coppa or all.")
_rules_option = click.option(
    "--rules", "rules", multiple=True, metavar="DIR",
    help="Extra rule-pack folder; adds requirements or overrides built-in ones with the same id (repeatable).")


def _parse_date(ctx, param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date (YYYY-MM-DD)") from None


def _parse_min_scores(ctx, param, values):
    out = []
    for value in values or ():
        regime, _, number = value.rpartition("=")
        try:
            score = float(number)
        except ValueError:
            raise click.BadParameter(f"'{value}' is not a score: give N or REGIME=N (0-100)") from None
        if not 0 <= score <= 100:
            raise click.BadParameter(f"'{value}': a score is between 0 and 100")
        out.append((regime.strip().lower() or None, score))
    return tuple(out)


@cli.command("check")
@click.argument("policies", nargs=-1, metavar="POLICY...")
@click.option("-r", "--regime", default=None, metavar="LIST",
              help="Regimes to check, comma-separated: gdpr, ccpa, coppa or all.  [default: all]")
@click.option("-f", "--format", "fmt", type=click.Choice(sorted(FORMATTERS)), default="text", show_default=True,
              help="Format written to stdout (text, json, markdown, sarif, junit). html and pdf need -o: the -o "
                   "files get that format and stdout shows the text report.")
@click.option("-o", "--output", "outputs", multiple=True, metavar="PATH",
              help="Also write a report file; its format comes from the extension (.json, .txt, .md, .sarif, .xml "
                   "for JUnit, .html, .pdf). Repeatable.")
@_rules_option
@click.option("--fail-on", type=click.Choice(FAIL_ON), default=None,
              help="Which gaps fail the run (exit 1): missing ones, partial ones too, or never.  [default: missing]")
@click.option("--fail-severity", type=click.Choice(SEVERITIES), default=None,
              help="The least severity of a gap that fails the run.  [default: major]")
@click.option("--min-score", "min_scores", multiple=True, metavar="[REGIME=]N", callback=_parse_min_scores,
              help="Fail when a regime's score is below N (0-100); REGIME=N for one regime. Repeatable.")
@click.option("--waivers", "waivers", metavar="FILE",
              help=f"Waivers file of accepted gaps.  [default: {DEFAULT_WAIVERS} beside the configuration "
                   "file or in the working folder, if present]")
@click.option("--no-waivers", is_flag=True, help="Ignore every waivers file.")
@click.option("--profile", "profile", metavar="FILE",
              help="Organisation profile: declared facts (sells personal information? has a DPO? serves children?) "
                   "that decide which conditional requirements apply. See 'gapcheck init'.")
@click.option("--config", "config_file", metavar="FILE",
              help="Configuration file.  [default: gapcheck.yaml, .gapcheck.yaml or [tool.gapcheck] in "
                   "pyproject.toml, from the working folder up]")
@click.option("--no-config", is_flag=True, help="Do not read a configuration file.")
@click.option("--encoding", metavar="NAME", help="Decode input with this encoding instead of detecting UTF-8/UTF-16.")
@click.option("--color/--no-color", "colour", default=None, help="Colour the text report (default: on a terminal).")
@click.option("-v", "--verbose", is_flag=True,
              help="For met requirements too: the explanation and every passage found; the readability section "
                   "quotes its worst passages.")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", callback=_parse_date,
              help="Check date for rules about how recent the policy is, and for waiver expiry (default: today).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Policies checked in parallel (worker processes).  [default: the number of cores]")
@click.option("--max-size", "max_size", default="20MB", show_default=True, metavar="SIZE",
              help="Refuse input files larger than this (e.g. 500kB, 50MB).")
@click.option("--progress/--no-progress", default=None,
              help="A progress bar on stderr (default: on a terminal, for more than a few policies).")
def check_command(policies, regime, fmt, outputs, rules, fail_on, fail_severity, min_scores, waivers, no_waivers,
                  profile, config_file, no_config, encoding, colour, verbose, as_of, jobs, max_size, progress):
    """Check POLICY files (or folders, or - for stdin) and report what they cover and what is missing.

    Exit codes: 0 the gate passed, 1 it failed, 2 an error."""
    if not policies:
        raise click.UsageError("give one or more policy files, folders, or - for stdin")
    cfg = Config() if no_config else load_config(config_file)
    targets = output_formats(outputs, fmt)  # bad extensions and folders fail before any work is done
    _check_output_folders(targets)
    gate = Gate(fail_on=fail_on or cfg.fail_on or "missing", fail_severity=fail_severity or cfg.fail_severity or "major",
                min_score=min_scores or cfg.min_score)
    _check_regime_names(regime, cfg, min_scores, rules or cfg.rules)
    run = Run(list(policies), regimes=regime or cfg.regime or "all", rules=rules or cfg.rules,
              encoding=encoding or cfg.encoding, as_of=as_of, jobs=jobs, max_bytes=parse_size(max_size),
              waivers=None if no_waivers else _waivers_file(waivers, cfg), profile=profile or _config_profile(cfg))
    if run.skipped:
        click.echo(f"gapcheck: note: {skipped_note(run.skipped)}", err=True)
    result = replace(_run(run, gate, fmt, targets, progress), config=cfg.source or None)
    if colour is None:
        colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    width = shutil.get_terminal_size((100, 24)).columns - 1
    stdout_format = "text" if fmt in FILE_ONLY_FORMATS else fmt
    if stdout_format != "jsonl":  # JSON Lines went to stdout as the policies were checked
        rendered = {p: render(f, result, width=100) for p, f in targets.items() if f != "jsonl"}
        stdout = render(stdout_format, result, colour=colour, width=width, unicode=_stdout_unicode(), verbose=verbose)
        _write_all(rendered)
        click.echo(stdout, nl=False)
        if targets and sys.stderr.isatty():  # at a terminal, say where the files went (not in CI logs or pipes)
            click.echo(f"gapcheck: wrote {', '.join(targets)}", err=True)
    elif len(run.paths) > 1:
        click.echo("\n".join(summary_table(result, width)), err=True)
    if stdout_format != "text":  # the text report shows them itself
        for notice in result.waiver_notices:
            click.echo(f"gapcheck: warning: {notice.source}: {notice.message}", err=True)
    for failure in result.errors:
        click.echo(f"gapcheck: error: {failure.message}", err=True)
    sys.exit(result.exit_code())


def _config_profile(cfg: Config):
    """The profile the configuration names, loaded; its errors also name the configuration line that named it."""
    if not cfg.profile:
        return None
    from .profile import load_profile

    try:
        return load_profile(cfg.profile)
    except GapcheckError as e:
        raise GapcheckError(f"{cfg.location('profile') or cfg.source}: profile: {e}") from None


def _run(run: Run, gate: Gate, fmt: str, targets: dict[str, str], progress: bool | None) -> Result:
    """Check every policy of the run. JSON Lines (stdout, -o *.jsonl) are written as each policy is done, so
    with JSON Lines alone only one report is held at a time; -o .jsonl files are moved into place only when the
    run ends without a fatal error."""
    from .formatters import jsonl_format

    streams = [p for p, f in targets.items() if f == "jsonl"]
    keep = fmt != "jsonl" or any(f != "jsonl" for f in targets.values())
    head = jsonl_format.header(run.packs, run.as_of)
    staged = _Staged(streams)
    bar = None
    if progress or (progress is None and sys.stderr.isatty() and len(run.paths) > 3):
        bar = _Progress(len(run.paths))
    reports, errors = [], []
    try:
        for got in run.results(bar):
            if isinstance(got, Failure):
                if len(run.paths) == 1:
                    raise GapcheckError(got.message)  # one policy: a plain error, nothing written
                errors.append(got)
            else:
                reports.append(got if keep else _Slim.of(got, gate))  # slim: the summary table and exit code
            text = jsonl_format.line(got, gate, head)
            if fmt == "jsonl":
                sys.stdout.write(text)
                sys.stdout.flush()
            staged.write(text)
        staged.commit()
    finally:
        staged.discard()
        if bar is not None:
            bar.close()
    return run.result(tuple(reports), tuple(errors), gate)


class _Progress:
    """checking  37/500   7%  name.md — on one line on a terminal, else one line per tenth of the run."""

    def __init__(self, total: int):
        self.total, self.tty, self.shown = total, sys.stderr.isatty(), -1
        self.width = shutil.get_terminal_size((80, 24)).columns - 1

    def __call__(self, done: int, total: int, path: str) -> None:
        pct = 100 * done // max(total, 1)
        text = f"checking {done:>{len(str(total))}}/{total} {pct:3d}%  {Path(path).name}"
        if self.tty:
            sys.stderr.write("\r" + text[: self.width].ljust(self.width))
        elif pct // 10 != self.shown or done == total:
            self.shown = pct // 10
            sys.stderr.write(text + "\n")
        sys.stderr.flush()

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\r" + " " * self.width + "\r")
            sys.stderr.flush()


class _Slim:
    """What the summary table and the exit code need of a report that was streamed and let go."""

    @staticmethod
    def of(report, gate):
        from dataclasses import replace

        doc = replace(report.document, text="", norm="", sentences=(), paragraphs=(), sections=(), line_starts=(0,))
        findings = tuple(replace(f, evidence=(), explanation="", remediation="", model_clause="")
                         for f in report.findings)
        return replace(report, document=doc, findings=findings, flags=(), readability=None)


class _Staged:
    """Files written line by line to a temporary file beside each target, moved into place by commit()."""

    def __init__(self, paths):
        import tempfile

        self.files = []
        for path in paths:
            target = Path(path)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=str(target.parent))
            self.files.append((os.fdopen(fd, "w", encoding="utf-8", newline="\n"), tmp, path))

    def write(self, text: str) -> None:
        for fh, _, _ in self.files:
            fh.write(text)

    def commit(self) -> None:
        umask = os.umask(0)
        os.umask(umask)
        for fh, tmp, path in self.files:
            fh.close()
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, path)
        self.files = []

    def discard(self) -> None:
        for fh, tmp, _ in self.files:
            fh.close()
            try:
                os.unlink(tmp)
            except OSError:
                pass
        self.files = []


def _check_regime_names(regime: str | None, cfg: Config, min_scores, rules) -> None:
    """A regime named in the configuration or in --min-score must exist: a typo (gpdr) would otherwise
    silently weaken the gate. Errors name the configuration file and line."""
    named = [n for n, _ in (min_scores or cfg.min_score) if n is not None]
    if not named and (regime or not cfg.regime):
        return  # nothing to look up (and no second loading of the packs)
    known = {p.regime for p in load_packs(rules)}
    available = ", ".join(sorted(known))
    if not regime and cfg.regime:
        for name in parse_regimes(cfg.regime) or ():
            if name not in known:
                raise GapcheckError(f"{cfg.location('regime')}: regime: unknown regime '{name}' (available: {available}, all)")
    for name, _ in min_scores or cfg.min_score:
        if name is not None and name not in known:
            where = "--min-score" if min_scores else f"{cfg.location('min_score')}: min_score"
            raise GapcheckError(f"{where}: unknown regime '{name}' (available: {available})")


def _waivers_file(given: str | None, cfg: Config) -> str | None:
    """--waivers, else the configuration's, else .gapcheck-waivers.yaml beside the configuration file or in the
    working folder. A file named explicitly must exist; the default one is optional."""
    if given or cfg.waivers:
        return given or cfg.waivers
    for folder in ([cfg.folder] if cfg.folder else []) + ["."]:
        candidate = Path(folder) / DEFAULT_WAIVERS
        if candidate.is_file():
            return str(candidate) if folder != "." else DEFAULT_WAIVERS
    return None


@cli.command("diff")
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@click.option("-r", "--regime", default=None, metavar="LIST",
              help="Regimes to compare, comma-separated: gdpr, ccpa, coppa or all.  [default: all]")
@click.option("-f", "--format", "fmt", type=click.Choice(DIFF_FORMATS), default="text", show_default=True,
              help="Format written to stdout.")
@click.option("-o", "--output", "outputs", multiple=True, metavar="PATH",
              help="Also write the comparison to a file; format from the extension (.txt, .json, .md, .sarif, .xml). "
                   "Repeatable.")
@_rules_option
@click.option("--config", "config_file", metavar="FILE", help="Configuration file (for regime and rules).")
@click.option("--no-config", is_flag=True, help="Do not read a configuration file.")
@click.option("--encoding", metavar="NAME", help="Decode both policies with this encoding.")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", callback=_parse_date, help="Check date (default: today).")
def diff_command(old, new, regime, fmt, outputs, rules, config_file, no_config, encoding, as_of):
    """Compare two versions of a policy requirement by requirement: what got worse, what got better.

    OLD and NEW are policy files; OLD (or NEW) may also be a JSON report gapcheck wrote for one policy.
    Exit codes: 0 nothing got worse, 1 something regressed (a status got worse, evidence vanished or a new
    red flag), 2 an error."""
    from .api import check_document, read_document
    from .diff import compare, load_saved_report, side_from_report
    from .formatters.diff_format import render as render_diff

    cfg = Config() if no_config else load_config(config_file)
    targets = {}
    for path in outputs:
        f = format_for_path(path)
        if f not in DIFF_FORMATS:
            raise GapcheckError(f"{path}: gapcheck diff writes {', '.join(DIFF_FORMATS)}, not {f}")
        targets[path] = f
    _check_output_folders(targets)
    packs = load_packs(rules or cfg.rules, parse_regimes(regime or cfg.regime or "all"))
    as_of = as_of or date.today()
    selected = {r.id for p in packs for r in p.requirements}

    def side(path: str):
        saved = load_saved_report(path)
        if saved is not None:
            kept = {k: v for k, v in saved.findings.items() if k in selected}
            return type(saved)(**{**saved.__dict__, "findings": kept})
        report = check_document(read_document(path, encoding or cfg.encoding), packs, as_of)
        return side_from_report(report.to_dict(), "policy")

    labels = {r.id: {e.name: e.label for e in r.elements} for p in packs for r in p.requirements}
    d = compare(side(old), side(new), [r.id for p in packs for r in p.requirements], as_of, labels)
    width = shutil.get_terminal_size((100, 24)).columns - 1
    rendered = {p: render_diff(f, d) for p, f in targets.items()}
    stdout = render_diff(fmt, d, width=width)
    _write_all(rendered)
    click.echo(stdout, nl=False)
    sys.exit(d.exit_code())


CONFIG_TEMPLATE = """\
# gapcheck configuration (found from the working folder up to the repository root; the command line overrides
# it; paths are relative to this file). Every key is optional.

# regimes to check: gdpr, ccpa, coppa or all
regime: all

# which gaps fail the run (exit 1): missing (default) | partial | never
fail_on: missing
# the least severity that counts: critical | major (default: critical and major) | minor
fail_severity: major

# fail when a regime scores lower (0-100), for example:
# min_score: {gdpr: 80}

# facts about your organisation (sells personal information? has a DPO? serves children?)
profile: gapcheck-profile.yaml

# accepted gaps, each with a reason (see the README's "CI gate")
# waivers: .gapcheck-waivers.yaml

# extra rule-pack folders
# rules: [policy-rules/]
"""


@cli.command("init")
@click.option("--force", is_flag=True, help="Overwrite gapcheck.yaml and gapcheck-profile.yaml if they exist.")
def init_command(force):
    """Write a commented gapcheck.yaml and gapcheck-profile.yaml in the working folder, to edit."""
    from .profile import template

    files = {"gapcheck.yaml": CONFIG_TEMPLATE, "gapcheck-profile.yaml": template()}
    existing = [name for name in files if Path(name).exists()]
    if existing and not force:
        raise GapcheckError(f"{existing[0]}: already exists (use --force to overwrite it)")
    _write_all(files)
    for name in files:
        click.echo(f"wrote {name}")
    click.echo("Next: declare the facts you know in gapcheck-profile.yaml, then run: gapcheck POLICY")


@cli.command("explain")
@click.argument("rule_id", metavar="ID")
@_rules_option
def explain_command(rule_id, rules):
    """What a requirement or red flag asks for, why, what satisfies it and how to fix a gap."""
    import textwrap

    packs = load_packs(rules)
    items = {r.id: ("requirement", r) for p in packs for r in p.requirements}
    items.update({f.id: ("red flag", f) for p in packs for f in p.flags})
    if rule_id not in items:
        import difflib

        close = difflib.get_close_matches(rule_id, sorted(items), n=1, cutoff=0.6)
        raise GapcheckError(f"unknown requirement or flag '{rule_id}'" + (f" (did you mean '{close[0]}'?)" if close else
                                                                          " (see 'gapcheck rules list')"))
    kind, item = items[rule_id]
    width = min(100, shutil.get_terminal_size((100, 24)).columns - 1)
    fill = lambda text, indent="  ", sub=None: textwrap.fill(  # noqa: E731
        " ".join(str(text).split()), width, initial_indent=indent, subsequent_indent=sub or indent)
    out = [f"{item.id} ({kind}, {item.severity}): {item.title}", fill(f"Citation: {item.citation}")]
    out += ["", "What the law requires:", fill(item.summary)]
    if kind == "requirement":
        if item.elements:
            out += ["", "What gapcheck looks for:"]
            for e in item.elements:
                tag = "" if len(item.elements) == 1 else (" (required)" if e.required and not item.min_elements
                                                          else " (optional)" if not item.min_elements else "")
                out.append(fill(f"- {e.label}{tag}", "  ", "    "))
            if item.min_elements:
                out.append(fill(f"Met with any {item.min_elements} of these."))
            if item.relaxed_when is not None:
                terms, need, why = item.relaxed_when
                labels = [e.label for e in item.elements if e.name in need]
                out.append(fill(f"When an organisation profile declares {' or '.join(terms)}, only "
                                f"{' and '.join(labels)} is needed: {why}."))
        if item.when is not None:
            out += ["", "When it applies:", fill(f"only when {item.when.label}" + (
                f"; an organisation profile decides it with: {', '.join(item.when.facts)}" if item.when.facts else ""))]
    if item.remediation:
        out += ["", "What a compliant passage states:", fill(item.remediation)]
    if item.model_clause:
        out += ["", fill(MODEL_CLAUSE_LABEL + ":", ""), fill(f"\u201c{' '.join(item.model_clause.split())}\u201d")]
    out += ["", fill(f"Defined in {item.source}", "")]
    click.echo("\n".join(out))


@cli.command("extract")
@click.argument("policy", metavar="POLICY")
@click.option("-n", "--line-numbers", is_flag=True, help="Number the lines (as reports cite them).")
@click.option("--structure", is_flag=True, help="List the sections and their headings instead of the text.")
@click.option("--encoding", metavar="NAME", help="Decode the input with this encoding.")
@click.option("--max-size", "max_size", default="20MB", show_default=True, metavar="SIZE")
def extract_command(policy, line_numbers, structure, encoding, max_size):
    """Print the text gapcheck reads from POLICY (HTML, PDF, DOCX, Markdown or text): the text every quote,
    offset and line number in its reports refers to."""
    from .api import read_document

    doc = read_document(policy, encoding, max_bytes=parse_size(max_size))
    if structure:
        click.echo(f"{doc.path}: {doc.format}, {doc.encoding or 'binary format'}, {doc.words:,} words, "
                   f"{len(doc.sections) - 1} headings, {len(doc.sentences)} sentences")
        for sec in doc.sections[1:]:
            click.echo(f"{doc.line_of(sec.start):>6}  {'  ' * (len(sec.path) - 1)}{sec.heading}")
        return
    if not line_numbers:
        click.echo(doc.text, nl=not doc.text.endswith("\n"))
        return
    width = len(str(len(doc.line_starts)))
    for n, line in enumerate(doc.text.split("\n"), 1):
        click.echo(f"{n:>{width}}  {line}")


@cli.group("rules")
def rules_group() -> None:
    """List the requirements or run the rule tests."""


@rules_group.command("list")
@_regime_option
@_rules_option
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_list(regime, rules, fmt):
    """List requirement ids, severities and citations."""
    packs = load_packs(rules, parse_regimes(regime))
    if fmt == "json":
        import json

        click.echo(json.dumps([
            {"regime": p.regime, "version": p.version, "requirements": [
                {"id": r.id, "title": r.title, "citation": r.citation, "severity": r.severity,
                 "summary": r.summary, "conditional": r.when is not None, "source": r.source}
                for r in p.requirements]}
            for p in packs], indent=2, ensure_ascii=False))
        return
    for p in packs:
        click.echo(f"{p.title} ({p.regime} {p.version}, {len(p.requirements)} requirements)")
        w = max((len(r.id) for r in p.requirements), default=0)
        for r in p.requirements:
            cond = "  (conditional)" if r.when is not None else ""
            click.echo(f"  {r.id:<{w}}  {r.severity:<8}  {r.citation}{cond}")


@rules_group.command("test")
@_regime_option
@_rules_option
@click.option("-v", "--verbose", is_flag=True, help="Show every failing passage in full.")
def rules_test(regime, rules, verbose):
    """Run every requirement's examples and the *.test.md files beside the rules."""
    from .ruletest import run

    packs = load_packs(rules, parse_regimes(regime))
    tallies = run(packs)
    rows = [("requirement", "TP", "FN", "TN", "FP")]
    for rid, t in tallies.items():
        rows.append((rid, str(t.tp), str(t.fn), str(t.tn), str(t.fp)))
    w = max(len(r[0]) for r in rows)
    for k, r in enumerate(rows):
        click.echo(f"{r[0]:<{w}}  " + "  ".join(c.rjust(4) for c in r[1:]))
        if k == 0:
            click.echo("-" * (w + 24))
    failures = [c for t in tallies.values() for c in t.failures]
    total = sum(t.tp + t.fn + t.tn + t.fp for t in tallies.values())
    for c in failures:
        passage = " ".join(c.passage.split())
        if not verbose and len(passage) > 160:
            passage = passage[:159] + "…"
        want = {"match": "a match", "no_match": "no match"}.get(c.expect, c.expect)
        click.echo(f"FAIL {c.where}: {c.requirement}: expected {want}, got {c.got}: {passage}")
    click.echo(f"{total - len(failures)} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


@cli.command("eval")
@click.argument("labels", type=click.Path(dir_okay=False))
@click.argument("policy_dir", type=click.Path(file_okay=False))
@_regime_option
@_rules_option
@click.option("--id", "ids", multiple=True, metavar="ID", help="Only these requirement ids (repeatable).")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True)
@click.option("--show-errors", is_flag=True, help="List every disagreement with the label's quote.")
def eval_command(labels, policy_dir, regime, rules, ids, fmt, show_errors):
    """Compare statuses with a labelled corpus (met/partial = addressed, missing = gap), per requirement."""
    from .evaluate import as_dict, evaluate, render_markdown, render_text

    packs = load_packs(rules, parse_regimes(regime))
    ev = evaluate(labels, policy_dir, packs, ids or None)
    if fmt == "json":
        import json

        click.echo(json.dumps(as_dict(ev), indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        click.echo(render_markdown(ev), nl=False)
    else:
        click.echo(render_text(ev, show_errors), nl=False)


def main(argv: list[str] | None = None) -> None:
    try:
        code = cli.main(args=argv, prog_name="gapcheck", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as e:  # pragma: no cover - depends on click version
        click.echo(e.ctx.get_help())
        code = 0
    except click.UsageError as e:
        sub = e.ctx.command_path.split(" ", 1)[1] if e.ctx and " " in e.ctx.command_path else ""
        hint = f" (see 'gapcheck {sub + ' ' if sub and sub != 'check' else ''}--help')"
        click.echo(f"gapcheck: error: {e.format_message()}{hint}", err=True)
        code = EXIT_ERROR
    except GapcheckError as e:
        click.echo(f"gapcheck: error: {e}", err=True)
        code = EXIT_ERROR
    except click.exceptions.Exit as e:
        code = e.exit_code
    except click.Abort:
        click.echo("gapcheck: interrupted", err=True)
        code = EXIT_ERROR
    except BrokenPipeError:
        code = EXIT_ERROR
    except KeyboardInterrupt:
        click.echo("gapcheck: interrupted", err=True)
        code = EXIT_ERROR
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else EXIT_ERROR)
    except Exception as e:  # a bug: still one line and exit 2, never a silent pass
        if os.environ.get("GAPCHECK_DEBUG"):
            raise
        click.echo(f"gapcheck: internal error: {type(e).__name__}: {e} (set GAPCHECK_DEBUG=1 for details)", err=True)
        code = EXIT_ERROR
    sys.exit(code if isinstance(code, int) else 0)
