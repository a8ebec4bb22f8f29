"""YAML files with line numbers (rule packs, waivers, configuration, labels): a safe loader that refuses
duplicate keys and keeps dates as strings, a map from each key path to its line, and JSON Schema validation whose
errors name file:line."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import yaml

from .model import GapcheckError


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when present: 10x faster
    """Safe loader that refuses duplicate keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}' (first at line {seen[key]})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# dates stay strings (rule files have no use for datetime objects), and only true/false are booleans: in a
# list of words, YAML 1.1 would read a bare no, yes, on or off as a boolean
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
    for k, v in _Loader.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    _Loader.yaml_implicit_resolvers.setdefault(_first, []).insert(
        0, ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")))


def _line_map(node: yaml.Node, path: tuple = (), out: dict | None = None) -> dict[tuple, int]:
    out = {} if out is None else out
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = k.value
            out[path + (key,)] = k.start_mark.line + 1
            _line_map(v, path + (key,), out)
            out[path + (key,)] = k.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _line_map(v, path + (i,), out)
    return out


def load_yaml(path: Path, label: str) -> tuple[Any, dict[tuple, int]]:
    """Parse a YAML file safely. Returns (data, {json path: line}). Errors name file:line."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise GapcheckError(f"{label}: cannot read ({e.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise GapcheckError(f"{label}: not valid UTF-8 at byte {e.start}") from None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()  # one parse: the node tree gives the lines, then the data
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        problem = e.problem or e.context or "invalid YAML"
        start = e.context_mark.line + 1 if e.context_mark is not None and e.problem else None
        if start is not None and start < line:  # "[false" on line 14 is noticed on line 16: point at the start
            raise GapcheckError(f"{label}:{start}: YAML error: {e.context}, {problem} (noticed at line {line})") from None
        raise GapcheckError(f"{label}:{line}: YAML error: {problem}") from None
    except yaml.reader.ReaderError as e:  # a character YAML does not allow (e.g. NUL)
        line = text.count("\n", 0, max(0, e.position)) + 1
        raise GapcheckError(f"{label}:{line}: YAML error: character {e.character!r} (U+{ord(e.character) if isinstance(e.character, str) else e.character:04X}) "
                            "is not allowed in YAML") from None
    except yaml.YAMLError as e:
        raise GapcheckError(f"{label}: YAML error: {' '.join(str(e).split())}") from None
    finally:
        loader.dispose()
    return data, (_line_map(node) if node is not None else {})


def dotted(path: Iterable) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def line_for(lines: dict[tuple, int], path: tuple) -> int:
    path = tuple(path)
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


# ---------------------------------------------------------------- schema


@lru_cache(maxsize=None)
def _validator(schema_name: str) -> "jsonschema.Draft202012Validator":  # noqa: F821
    import jsonschema  # noqa: PLC0415 - imported only when a file is validated (not on a pack-cache hit)

    schema = json.loads(resources.files("checker.schema").joinpath(schema_name).read_text("utf-8"))
    return jsonschema.Draft202012Validator(schema)


def validate(data: Any, lines: dict[tuple, int], label: str, schema_name: str) -> None:
    """Check `data` (read from `label`) against checker/schema/`schema_name`; the first error is raised as a
    GapcheckError naming file:line and the key path."""
    errors = list(_validator(schema_name).iter_errors(data))
    if not errors:
        return
    import jsonschema  # noqa: PLC0415

    err = jsonschema.exceptions.best_match(errors)
    # inside a oneOf, report the most specific branch error rather than "is not valid under any"
    while err.context:
        err = jsonschema.exceptions.best_match(err.context)
    path = tuple(err.absolute_path)
    message = err.message
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = set(err.schema.get("properties", {}))
        extra = [k for k in err.instance if k not in allowed]
        if extra:
            import difflib  # noqa: PLC0415

            path = path + (extra[0],)
            close = difflib.get_close_matches(str(extra[0]), sorted(allowed), n=1, cutoff=0.6)
            message = f"unknown key '{extra[0]}' " + (f"(did you mean '{close[0]}'?)" if close else
                                                      f"(allowed: {', '.join(sorted(allowed))})")
    elif err.validator == "pattern" and isinstance(err.schema, dict) and err.schema.get("description"):
        message = f"{err.instance!r} is not valid: {err.schema['description']}"
    elif err.validator == "type":
        wanted = [err.validator_value] if isinstance(err.validator_value, str) else list(err.validator_value)
        names = {"object": "a mapping (key: value)", "array": "a list", "string": "a string", "number": "a number",
                 "integer": "a whole number", "boolean": "true or false"}
        found = {dict: "a mapping", list: "a list", str: "a string", bool: "true/false", int: "a number",
                 float: "a number", type(None): "nothing"}.get(type(err.instance), type(err.instance).__name__)
        if isinstance(err.instance, (str, int, float)) and not isinstance(err.instance, bool):
            found += f" ({err.instance!r})"[:60]
        message = "expected " + " or ".join(names.get(t, t) for t in wanted if t != "null") + (
            " (or nothing)" if "null" in wanted and len(wanted) > 1 else "") + f", found {found}"
        if "boolean" in wanted and isinstance(err.instance, str) and err.instance.strip().lower() in (
                "yes", "no", "y", "n", "on", "off", "true", "false"):
            message += ": write true or false, unquoted"
    raise GapcheckError(f"{label}:{line_for(lines, path)}: {dotted(path)}: {message}")


def load_checked(path: Path, what: str, schema_name: str, empty: str) -> tuple[Any, dict[tuple, int], str]:
    """A YAML file that must exist, not be empty and match a schema (waivers, profile): (data, lines, label).
    `what` names it in "not found"; `empty` is what to write for nothing ("waivers: []")."""
    label = str(path)
    if not path.is_file():
        raise GapcheckError(f"{label}: {what} not found")
    data, lines = load_yaml(path, label)
    if data is None:
        raise GapcheckError(f"{label}:1: empty {what} (write '{empty}' for none)")
    validate(data, lines, label, schema_name)
    return data, lines, label
