"""The audit report as one self-contained HTML file (Jinja2, autoescape on; the CSS is inlined, nothing is
linked). The PDF format prints this same HTML. Deterministic: same input, rules and check date give
byte-identical HTML."""
from __future__ import annotations

from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path

from markupsafe import Markup

from ..model import Result
from . import audit

TEMPLATE = "report.html.j2"
STYLESHEET = "report.css"


def templates_dir() -> Path:
    """checker/templates/ in an installed wheel; reports/templates/ in a source checkout (or an editable
    install, where checker.templates does not resolve). A real folder: WeasyPrint reads the fonts from it."""
    try:
        # joinpath, not str(): checker.templates has no __init__.py, and a namespace package's files() is a
        # MultiplexedPath whose str() is not a path
        template = resources.files("checker.templates").joinpath(TEMPLATE)
        if template.is_file():
            return Path(str(template)).resolve().parent
    except (ModuleNotFoundError, TypeError, ValueError):
        pass
    return Path(__file__).resolve().parent.parent.parent / "reports" / "templates"


@lru_cache(maxsize=1)
def _environment():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=True,  # everything from the policy is escaped, in every template
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["score"] = lambda s: "n/a" if s is None else f"{s:.1f}"
    env.filters["thousands"] = lambda n: f"{n:,}"
    env.filters["plural"] = lambda n, word, many=None: f"{n} {word if n == 1 else (many or word + 's')}"
    return env


def render(result: Result, as_of: date | None = None, **_options) -> str:
    env = _environment()
    css = (templates_dir() / STYLESHEET).read_text("utf-8")
    context = audit.build(result, as_of)
    return env.get_template(TEMPLATE).render(css=Markup(css), **context)
