"""Project configuration: `gapcheck.yaml` (or `.gapcheck.yaml`), or a `[tool.gapcheck]` table in
`pyproject.toml`, found from the working folder upwards (stopping at the repository root, the folder holding
`.git`). Validated by checker/schema/config.schema.json; errors name file:line. Command-line options override
it; paths in it are relative to the file.

    # gapcheck.yaml
    regime: gdpr,ccpa
    fail_on: missing          # missing | partial | never
    fail_severity: major      # critical | major | minor
    min_score: {gdpr: 80}     # or one number for every regime
    waivers: .gapcheck-waivers.yaml
    rules: [policy-rules/]
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import GapcheckError
from .yamlfile import load_yaml, validate

YAML_NAMES = ("gapcheck.yaml", ".gapcheck.yaml")


@dataclass(frozen=True)
class Config:
    source: str | None = None  # the file read ("" when none was found)
    regime: str | None = None
    rules: tuple[str, ...] = ()
    fail_on: str | None = None
    fail_severity: str | None = None
    min_score: tuple[tuple[str | None, float], ...] = ()
    waivers: str | None = None
    encoding: str | None = None
    profile: str | None = None
    folder: str | None = None  # the folder of the file: a default waivers file is looked for there
    where: tuple[tuple[str, str], ...] = ()  # (key, "file:line") of each key set, for error messages

    def location(self, key: str) -> str | None:
        return dict(self.where).get(key)


def find_config(start: Path | None = None) -> Path | None:
    """The nearest configuration file from `start` (default: the working folder) upwards."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        for name in YAML_NAMES:
            if (folder / name).is_file():
                return folder / name
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
        if (folder / ".git").exists():
            break
    return None


def load_config(path: str | Path | None = None, search: bool = True) -> Config:
    """Read `path`, or the file find_config() finds when `search`; Config() when there is none."""
    if path is None:
        found = find_config() if search else None
        if found is None:
            return Config()
        path = found
    path = Path(path)
    if not path.is_file():
        raise GapcheckError(f"{path}: configuration file not found")
    if path.name == "pyproject.toml" or path.suffix == ".toml":
        data, lines, label = _read_toml(path)
    else:
        label = _shown(path.resolve())
        data, lines = load_yaml(path, label)
        if data is None:
            data = {}
    validate(data, lines, label, "config.schema.json")
    folder = path.resolve().parent
    regime = data.get("regime")
    if isinstance(regime, list):
        regime = ",".join(regime)
    min_score = data.get("min_score")
    if isinstance(min_score, (int, float)):
        scores: tuple = ((None, float(min_score)),)
    else:
        scores = tuple((k, float(v)) for k, v in sorted((min_score or {}).items()))
    from .yamlfile import line_for

    return Config(
        where=tuple((k, f"{label}:{line_for(lines, (k,))}") for k in data),
        source=label, regime=regime, rules=tuple(str(folder / r) for r in data.get("rules", ())),
        fail_on=data.get("fail_on"), fail_severity=data.get("fail_severity"), min_score=scores,
        waivers=_shown(folder / data["waivers"]) if "waivers" in data else None, encoding=data.get("encoding"),
        profile=_shown(folder / data["profile"]) if "profile" in data else None,
        folder=str(folder))


def _shown(path: Path) -> str:
    """A path as reports show it: relative to the working folder when inside it (no runner paths in CI logs)."""
    import os

    rel = os.path.relpath(path, Path.cwd())
    return rel if not rel.startswith("..") else str(path)


def _has_tool_table(path: Path) -> bool:
    try:
        text = path.read_text("utf-8", errors="replace")
    except OSError:
        return False
    return re.search(r"(?m)^\s*\[\s*tool\s*\.\s*gapcheck\s*\]", text) is not None


def _read_toml(path: Path) -> tuple[Any, dict[tuple, int], str]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise GapcheckError(f"{path}: cannot read ({getattr(e, 'strerror', None) or e})") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        raise GapcheckError(f"{path}:{m.group(1) if m else 1}: TOML error: {str(e).split(' (at')[0]}") from None
    data = doc.get("tool", {}).get("gapcheck", {})
    if not isinstance(data, dict):
        raise GapcheckError(f"{path}: [tool.gapcheck] must be a table")
    return data, _toml_lines(text), _shown(path.resolve())


def _toml_lines(text: str) -> dict[tuple, int]:
    """Lines of the [tool.gapcheck] table and its keys (TOML parsers give no positions)."""
    lines: dict[tuple, int] = {}
    inside = False
    for n, line in enumerate(text.splitlines(), 1):
        header = re.match(r"\s*\[\s*([^\]]+?)\s*\]", line)
        if header:
            name = re.sub(r"\s+", "", header.group(1))
            inside = name == "tool.gapcheck"
            if inside:
                lines[()] = n
            elif name.startswith("tool.gapcheck."):
                lines[(name.split(".", 2)[2],)] = n
            continue
        key = re.match(r"\s*([A-Za-z0-9_-]+)\s*=", line)
        if inside and key:
            lines.setdefault((key.group(1),), n)
    return lines
