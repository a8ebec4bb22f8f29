"""Find, read, validate (JSON Schema) and compile rule packs.

A pack is a folder with `pack.yaml` (regime, title, version, shared `defs`, optional `order`) and rule files
(`*.yaml`, each with `requirements:` and optional local `defs`). Every error names the file and the YAML line:
`rules/gdpr/erasure.yaml:14: requirements[0].elements[0].match: ...`.
"""
from __future__ import annotations

import atexit
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

from .matcher import (Node, PatternError, compile_pattern, compiled_count, leaf_sources, leaves_of, regex_codes,
                      use_regex_codes)
from .model import GapcheckError
from .yamlfile import dotted, line_for, load_yaml, validate


@dataclass(frozen=True)
class Element:
    name: str
    label: str
    required: bool
    scope: str
    node: Node
    max_age_months: int | None = None  # met only with a date this recent in the passage (see dates.py)


@dataclass(frozen=True)
class Condition:
    label: str
    match: Node | None
    unless: Node | None
    scope: str
    applies_if_silent: bool = False  # neither pattern found: does the requirement apply?
    facts: tuple[str, ...] = ()  # organisation-profile facts that decide it when declared (checker/profile.py)
    facts_decide_part: bool = False  # `unless`/`match` speak to more than the facts: no "the text disagrees" note


@dataclass(frozen=True)
class Requirement:
    id: str
    regime: str
    title: str
    citation: str
    severity: str
    summary: str
    expected_in: str
    elements: tuple[Element, ...]
    when: Condition | None
    remediation: str
    model_clause: str  # illustrative wording that satisfies the requirement; "" when the pack gives none
    model_clause_at: str  # its file:line
    # (passage, status or None = met|partial, file:line, check date or None = the test default)
    examples_match: tuple[tuple[str, str | None, str, date | None], ...]
    examples_no_match: tuple[tuple[str, str], ...]  # (passage, file:line)
    source: str  # file:line of the requirement
    min_elements: int | None = None  # met when this many elements (any) are found, instead of every required one
    # (profile fact terms, element names, why): only those elements are needed when the profile declares the facts
    relaxed_when: tuple[tuple[str, ...], tuple[str, ...], str] | None = None


@dataclass(frozen=True)
class Flag:
    """Red-flag wording: a risky passage (one side) or two statements that contradict each other (two sides)."""

    id: str
    regime: str
    title: str
    citation: str
    severity: str
    summary: str
    remediation: str
    model_clause: str  # illustrative wording that avoids the flag; "" when the pack gives none
    model_clause_at: str  # its file:line
    sides: tuple[tuple[str, Node], ...]  # (label, pattern); one side for a passage flag, two for a contradiction
    scope: str
    examples_match: tuple[tuple[str, str], ...]  # (text, file:line)
    examples_no_match: tuple[tuple[str, str], ...]
    source: str

    @property
    def is_contradiction(self) -> bool:
        return len(self.sides) == 2


@dataclass(frozen=True)
class Pack:
    regime: str
    title: str
    version: str
    dirs: tuple[str, ...]  # the pack folders it was read from (built-in first, then --rules overlays)
    requirements: tuple[Requirement, ...]
    position: int = 100
    flags: tuple[Flag, ...] = ()


# ---------------------------------------------------------------- schema


def _validate(data: Any, lines: dict[tuple, int], label: str) -> None:
    validate(data, lines, label, "pack.schema.json")


# ---------------------------------------------------------------- compile


def _compile(spec: Any, defs: dict[str, Node], lines: dict[tuple, int], path: tuple, label: str) -> Node:
    try:
        return compile_pattern(spec, defs, dotted(path))
    except PatternError as e:
        # find the deepest YAML node named in the error's dotted path for the line number
        return _raise_pattern(e, lines, path, label)


def _raise_pattern(e: PatternError, lines: dict[tuple, int], path: tuple, label: str):
    msg = str(e)
    best = path
    # walk the dotted path in the message as far as the line map knows it
    dotted = msg.split(":", 1)[0]
    parts: list[Any] = []
    for token in dotted.replace("[", ".[").split("."):
        if not token:
            continue
        parts.append(int(token[1:-1]) if token.startswith("[") else token)
        if tuple(parts) in lines:
            best = tuple(parts)
    raise GapcheckError(f"{label}:{line_for(lines, best)}: {msg}") from None


def _examples(spec: dict, lines: dict[tuple, int], base: tuple, label: str):
    match = []
    for k, e in enumerate(spec["match"]):
        where = f"{label}:{line_for(lines, base + ('match', k))}"
        if isinstance(e, str):
            match.append((e, None, where, None))
            continue
        as_of = None
        if "as_of" in e:
            try:
                as_of = date.fromisoformat(e["as_of"])
            except ValueError:
                raise GapcheckError(f"{label}:{line_for(lines, base + ('match', k, 'as_of'))}: "
                                    f"as_of '{e['as_of']}' is not a date (YYYY-MM-DD)") from None
        match.append((e["text"], e["status"], where, as_of))
    no_match = tuple((e, f"{label}:{line_for(lines, base + ('no_match', k))}") for k, e in enumerate(spec["no_match"]))
    return tuple(match), no_match


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load_common_defs(path: Path, base: dict[str, Node]) -> dict[str, Node]:
    """`defs.yaml` at the root of a rules folder: definitions shared by every pack in that folder."""
    label = _display(path)
    data, lines = load_yaml(path, label)
    if not isinstance(data, dict):
        raise GapcheckError(f"{label}:1: defs.yaml must be a mapping with 'defs'")
    _validate(data, lines, label)
    extra = set(data) - {"defs", "description"}
    if extra:
        key = sorted(extra)[0]
        raise GapcheckError(f"{label}:{lines.get((key,), 1)}: '{key}' does not belong in defs.yaml (only defs)")
    defs = dict(base)
    for name, spec in (data.get("defs") or {}).items():
        defs[name] = _compile(spec, defs, lines, ("defs", name), label)
    return defs


def load_pack_dir(directory: Path, base_defs: dict[str, Node] | None = None) -> Pack:
    meta_path = directory / "pack.yaml"
    label = _display(meta_path)
    meta, lines = load_yaml(meta_path, label)
    if not isinstance(meta, dict):
        raise GapcheckError(f"{label}:1: a pack.yaml must be a mapping with regime, title and version")
    _validate(meta, lines, label)
    for key in ("regime", "title", "version"):
        if key not in meta:
            raise GapcheckError(f"{label}:1: pack.yaml needs '{key}'")
    if "requirements" in meta:
        raise GapcheckError(f"{label}:{lines.get(('requirements',), 1)}: put requirements in rule files, not pack.yaml")
    regime = meta["regime"]
    defs: dict[str, Node] = dict(base_defs or {})
    for name, spec in (meta.get("defs") or {}).items():
        defs[name] = _compile(spec, defs, lines, ("defs", name), label)

    requirements: dict[str, Requirement] = {}
    flags: dict[str, Flag] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name == "pack.yaml":
            continue
        reqs, file_flags = _load_rule_file(path, regime, defs)
        for item in (*reqs, *file_flags):
            if item.id in requirements or item.id in flags:
                other = (requirements.get(item.id) or flags[item.id]).source
                kind = "flag" if isinstance(item, Flag) else "requirement"
                raise GapcheckError(f"{item.source}: duplicate {kind} id '{item.id}' (also {other})")
            (flags if isinstance(item, Flag) else requirements)[item.id] = item
    order = meta.get("order") or []
    for i, rid in enumerate(order):
        if rid not in requirements:
            raise GapcheckError(f"{label}:{line_for(lines, ('order', i))}: order names '{rid}', which no rule file defines")
    ordered = [requirements[r] for r in order] + [r for k, r in requirements.items() if k not in order]
    return Pack(regime, meta["title"], meta["version"], (_display(directory),), tuple(ordered),
                meta.get("position", 100), tuple(flags.values()))


def _load_rule_file(path: Path, regime: str, pack_defs: dict[str, Node]) -> tuple[list[Requirement], list[Flag]]:
    label = _display(path)
    data, lines = load_yaml(path, label)
    if not isinstance(data, dict):
        raise GapcheckError(f"{label}:1: a rule file must be a mapping with 'requirements'")
    _validate(data, lines, label)
    for key in ("regime", "title", "version", "order"):
        if key in data:
            raise GapcheckError(f"{label}:{lines[(key,)]}: '{key}' belongs in pack.yaml")
    if "requirements" not in data and "flags" not in data:
        raise GapcheckError(f"{label}:1: no 'requirements' (or 'flags') in rule file")
    defs = dict(pack_defs)
    for name, spec in (data.get("defs") or {}).items():
        defs[name] = _compile(spec, defs, lines, ("defs", name), label)
    out = []
    for i, r in enumerate(data.get("requirements") or []):
        base = ("requirements", i)
        rid = r["id"]
        if not rid.startswith(regime + "."):
            raise GapcheckError(f"{label}:{line_for(lines, base + ('id',))}: id '{rid}' must start with '{regime}.'")
        names = [e["name"] for e in r["elements"]]
        if len(set(names)) != len(names):
            raise GapcheckError(f"{label}:{line_for(lines, base + ('elements',))}: element names must be unique")
        if not any(e.get("required", True) for e in r["elements"]):
            raise GapcheckError(f"{label}:{line_for(lines, base + ('elements',))}: at least one element must be required")
        if r.get("min_elements", 0) > len(r["elements"]):
            raise GapcheckError(f"{label}:{line_for(lines, base + ('min_elements',))}: min_elements is more than "
                                f"the {len(r['elements'])} elements")
        elements = tuple(
            Element(
                e["name"], e["label"], e.get("required", True), e.get("scope", "sentence"),
                _compile(e["match"], defs, lines, base + ("elements", j, "match"), label),
                e.get("max_age_months"),
            )
            for j, e in enumerate(r["elements"])
        )
        when = None
        if "when" in r:
            w = r["when"]
            if "facts" in w:
                from .profile import check_terms

                check_terms(w["facts"], f"{label}:{line_for(lines, base + ('when', 'facts'))}")
            when = Condition(
                w["label"],
                _compile(w["match"], defs, lines, base + ("when", "match"), label) if "match" in w else None,
                _compile(w["unless"], defs, lines, base + ("when", "unless"), label) if "unless" in w else None,
                w.get("scope", "sentence"),
                w.get("if_silent", "not_applicable" if "match" in w else "applies") == "applies",
                tuple(w.get("facts", ())),
                bool(w.get("facts_decide_part", False)),
            )
        match, no_match = _examples(r["examples"], lines, base + ("examples",), label)
        out.append(Requirement(
            id=rid, regime=regime, title=r["title"], citation=r["citation"], severity=r["severity"],
            summary=r["summary"], expected_in=r.get("expected_in", ""), elements=elements, when=when,
            remediation=r["remediation"], model_clause=r.get("model_clause", ""),
            model_clause_at=f"{label}:{line_for(lines, base + ('model_clause',))}",
            examples_match=match, examples_no_match=no_match,
            source=f"{label}:{line_for(lines, base)}", min_elements=r.get("min_elements"),
            relaxed_when=_relaxed_when(r, lines, base, label),
        ))
    return out, [_flag(f, i, regime, defs, lines, label) for i, f in enumerate(data.get("flags") or [])]


def _relaxed_when(r: dict, lines: dict[tuple, int], base: tuple, label: str):
    spec = r.get("relaxed_when")
    if spec is None:
        return None
    from .profile import check_terms

    where = f"{label}:{line_for(lines, base + ('relaxed_when',))}"
    check_terms(spec["facts"], where)
    names = {e["name"] for e in r["elements"]}
    unknown = [n for n in spec["require"] if n not in names]
    if unknown:
        raise GapcheckError(f"{where}: relaxed_when requires unknown element '{unknown[0]}' "
                            f"(elements: {', '.join(sorted(names))})")
    return tuple(spec["facts"]), tuple(spec["require"]), " ".join(spec["label"].split())


def _flag(f: dict, i: int, regime: str, defs: dict[str, Node], lines: dict[tuple, int], label: str) -> Flag:
    base = ("flags", i)
    if not f["id"].startswith(regime + "."):
        raise GapcheckError(f"{label}:{line_for(lines, base + ('id',))}: id '{f['id']}' must start with '{regime}.'")
    if "match" in f:
        sides = (("", _compile(f["match"], defs, lines, base + ("match",), label)),)
    else:
        sides = tuple((side["label"], _compile(side["match"], defs, lines, base + ("contradiction", k, "match"), label))
                      for k, side in enumerate(f["contradiction"]))
    ex = f["examples"]
    return Flag(
        id=f["id"], regime=regime, title=f["title"], citation=f["citation"], severity=f["severity"],
        summary=f["summary"], remediation=f["remediation"], model_clause=f.get("model_clause", ""),
        model_clause_at=f"{label}:{line_for(lines, base + ('model_clause',))}", sides=sides,
        scope=f.get("scope", "sentence"),
        examples_match=tuple((t, f"{label}:{line_for(lines, base + ('examples', 'match', k))}")
                             for k, t in enumerate(ex["match"])),
        examples_no_match=tuple((t, f"{label}:{line_for(lines, base + ('examples', 'no_match', k))}")
                                for k, t in enumerate(ex["no_match"])),
        source=f"{label}:{line_for(lines, base)}",
    )


# ---------------------------------------------------------------- discovery


def builtin_rules_dir() -> Path:
    try:
        # rules/ is a data folder without __init__.py: resources.files() gives a MultiplexedPath there, whose
        # str() is not a path; a file inside it gives a real one
        d = Path(str(resources.files("checker.rules").joinpath("defs.yaml"))).parent
        if d.is_dir():
            return d
    except (ModuleNotFoundError, TypeError, ValueError):
        pass
    return Path(__file__).resolve().parent.parent / "rules"  # a source checkout


def _pack_dirs(root: Path) -> list[Path]:
    if (root / "pack.yaml").is_file():
        return [root]
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "pack.yaml").is_file())


def load_packs(extra_dirs: Iterable[str | Path] = (), regimes: Iterable[str] | None = None) -> tuple[Pack, ...]:
    """Load the built-in packs, then packs from each extra folder; a later requirement with the same id
    replaces the earlier one in place, new requirements and regimes are added. `regimes` filters the result.
    The compiled packs are cached on disk (checker/cache.py), keyed by the bytes of every rule file read."""
    from . import cache  # noqa: PLC0415

    roots = [builtin_rules_dir()] + [Path(d) for d in extra_dirs]
    packs, codes = cache.cached(roots, lambda: _rule_files(roots), lambda: _load_roots(roots))
    use_regex_codes(codes)
    global _SAVE_REGISTERED
    if not _SAVE_REGISTERED and cache.last() is not None:
        atexit.register(_save_regex_codes)
        _SAVE_REGISTERED = True
    if regimes is not None:
        wanted = list(regimes)
        unknown = [r for r in wanted if r not in packs]
        if unknown:
            raise GapcheckError(f"unknown regime '{unknown[0]}' (available: {', '.join(sorted(packs))}, all)")
        return tuple(packs[r] for r in wanted)
    return tuple(sorted(packs.values(), key=lambda p: (p.position, p.regime)))


_SAVE_REGISTERED = False
SAVE_CODES_MIN = 10  # the cache file is rewritten when this many more of its regexes were compiled


def _save_regex_codes() -> None:
    """At exit: store the compiled form of the regexes this process compiled for the packs it loaded last
    (from the cache or into it), so the next process need not compile them again: compiling is most of the
    cost of a first check."""
    from . import cache  # noqa: PLC0415

    try:
        got = cache.last()
        if got is None:
            return
        packs, stored = got
        had = len(stored or ())
        if compiled_count() < had + SAVE_CODES_MIN:
            return
        codes = regex_codes(leaf_sources(leaves_of(_pack_nodes(packs))))
        if len(codes) >= had + SAVE_CODES_MIN:
            cache.update(packs, codes)
    except Exception:  # noqa: BLE001 - never fail at exit for a cache
        pass


def _pack_nodes(packs: dict[str, Pack]) -> list[Node]:
    nodes: list[Node] = []
    for pack in packs.values():
        for r in pack.requirements:
            nodes += [e.node for e in r.elements]
            if r.when is not None:
                nodes += [n for n in (r.when.match, r.when.unless) if n is not None]
        for f in pack.flags:
            nodes += [n for _, n in f.sides]
    return nodes


def _rule_files(roots: list[Path]) -> list[Path]:
    """Every file _load_roots reads, in the order it reads them (for the cache key)."""
    files: list[Path] = []
    for root in roots:
        if not root.is_dir():
            raise GapcheckError(f"{root}: rules folder not found")
        if (root / "defs.yaml").is_file():
            files.append(root / "defs.yaml")
        for d in _pack_dirs(root):
            files += sorted(d.glob("*.yaml"))
    return files


def _load_roots(roots: list[Path]) -> dict[str, Pack]:
    packs: dict[str, Pack] = {}
    common: dict[str, Node] = {}
    for root in roots:
        if not root.is_dir():
            raise GapcheckError(f"{root}: rules folder not found")
        if (root / "defs.yaml").is_file():
            common = load_common_defs(root / "defs.yaml", common)
        found = _pack_dirs(root)
        if not found and root != roots[0]:
            raise GapcheckError(f"{_display(root)}: no rule pack here (a pack is a folder with pack.yaml)")
        for d in found:
            pack = load_pack_dir(d, common)
            if pack.regime in packs:
                pack = _merge(packs[pack.regime], pack)
            packs[pack.regime] = pack
    return packs


def _merge(base: Pack, extra: Pack) -> Pack:
    reqs = {r.id: r for r in base.requirements}
    order = [r.id for r in base.requirements]
    for r in extra.requirements:
        if r.id not in reqs:
            order.append(r.id)
        reqs[r.id] = r
    flags = {f.id: f for f in base.flags}
    flags.update({f.id: f for f in extra.flags})
    return Pack(base.regime, base.title, f"{base.version}+{extra.version}", base.dirs + extra.dirs,
                tuple(reqs[i] for i in order), base.position, tuple(flags.values()))
