"""Command line: options -> library call -> formatter -> exit code. Only this module imports click.

Exit codes: 0 gate passed, 1 gate failed (a critical or major requirement missing), 2 error. Errors are one
line on stderr naming the file (and line, for rule files); never a traceback.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

import click

from . import __version__
from .api import check, parse_regimes
from .formatters import FILE_ONLY_FORMATS, FORMATTERS, output_formats, render
from .model import GapcheckError
from .packs import load_packs

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


@cli.command("check")
@click.argument("policies", nargs=-1, metavar="POLICY...")
@_regime_option
@click.option("-f", "--format", "fmt", type=click.Choice(sorted(FORMATTERS)), default="text", show_default=True,
              help="Format written to stdout (text, json). html and pdf need -o: the -o files get that format "
                   "and stdout shows the text report.")
@click.option("-o", "--output", "outputs", multiple=True, metavar="PATH",
              help="Also write a report file; its format comes from the extension (.json, .txt, .html, .pdf). "
                   "Repeatable.")
@_rules_option
@click.option("--encoding", metavar="NAME", help="Decode input with this encoding instead of detecting UTF-8/UTF-16.")
@click.option("--color/--no-color", "colour", default=None, help="Colour the text report (default: on a terminal).")
@click.option("-v", "--verbose", is_flag=True, help="For met requirements too: the explanation and every passage found.")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", callback=_parse_date,
              help="Check date for rules about how recent the policy is (default: today).")
def check_command(policies, regime, fmt, outputs, rules, encoding, colour, verbose, as_of):
    """Check POLICY files (or folders, or - for stdin) and report what they cover and what is missing."""
    if not policies:
        raise click.UsageError("give one or more policy files, folders, or - for stdin")
    targets = output_formats(outputs, fmt)  # bad extensions and folders fail before any work is done
    _check_output_folders(targets)
    result = check(list(policies), regimes=regime, rules=rules, encoding=encoding, as_of=as_of)
    if colour is None:
        colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    width = shutil.get_terminal_size((100, 24)).columns - 1
    rendered = {p: render(f, result, width=100) for p, f in targets.items()}
    stdout = render("text" if fmt in FILE_ONLY_FORMATS else fmt, result, colour=colour, width=width,
                    unicode=_stdout_unicode(), verbose=verbose)
    _write_all(rendered)
    click.echo(stdout, nl=False)
    sys.exit(result.exit_code())


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
