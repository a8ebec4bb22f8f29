"""The organisation profile: facts the policy text cannot prove (do you sell personal information? have a DPO?
serve children?), declared in a YAML file (checker/schema/profile.schema.json) and given with --profile or the
configuration's `profile:`. A conditional requirement lists the facts that decide it (`when: facts:` in its rule
file); a declared fact overrides what the text shows, and the finding says the fact came from the profile.

    organisation: Example Ltd
    facts:
      sells_personal_information: false
      has_dpo: true
      employees: 35
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .model import GapcheckError
from .yamlfile import line_for, load_checked

_TERM = re.compile(r"^(!?)([a-z][a-z0-9_]*)(?:>=([0-9]+))?$")


@lru_cache(maxsize=1)
def known_facts() -> dict[str, str]:
    """fact name -> its type in the schema ("boolean" or "integer")."""
    schema = json.loads(resources.files("checker.schema").joinpath("profile.schema.json").read_text("utf-8"))
    props = schema["properties"]["facts"]["properties"]
    return {name: spec["type"][0] for name, spec in props.items()}


def _parts(term: str) -> list[str]:
    """A term is one fact test ("has_dpo", "!established_in_eu", "employees>=20") or several joined by "&",
    which hold together ("employees>=20 & discloses_for_third_party_direct_marketing")."""
    return [p.strip() for p in term.split("&")]


def check_terms(terms, where: str) -> None:
    """A rule's `facts:` must name facts the profile schema knows, with the right kind of test."""
    known = known_facts()
    for term in (part for t in terms for part in _parts(t)):
        m = _TERM.match(term)
        if not m or m.group(2) not in known:
            raise GapcheckError(f"{where}: unknown profile fact '{term}' (known: {', '.join(sorted(known))})")
        numeric = known[m.group(2)] == "integer"
        if numeric != (m.group(3) is not None) or (numeric and m.group(1)):
            raise GapcheckError(f"{where}: '{term}': {'a number fact needs >=N' if numeric else 'a yes/no fact takes no >=N'}")


@dataclass(frozen=True)
class Profile:
    source: str
    facts: dict[str, bool | int] = field(default_factory=dict)  # declared facts only (null = undeclared)
    where: dict[str, str] = field(default_factory=dict)  # fact -> "file:line"
    organisation: str | None = None

    def decide(self, terms) -> tuple[bool, str] | None:
        """(applies, reason) when the declared facts decide the condition, else None (the text decides): it
        holds when any term is true; it does not when every term is declared and false. A term of several parts
        joined by "&" is true when every part is, false when any declared part is false, else undecided."""
        results = []
        for term in terms:
            parts = [self._test(part) for part in _parts(term)]
            false = next((p for p in parts if p is not None and not p[0]), None)
            if false is not None:
                results.append(false)
            elif all(p is not None for p in parts):
                results.append((True, " and ".join(p[1] for p in parts),
                                ", ".join(dict.fromkeys(p[2] for p in parts))))
            else:
                results.append(None)
        true = [r for r in results if r is not None and r[0]]
        if true:
            return True, f"the organisation profile declares {true[0][1]} ({true[0][2]})"
        if results and all(r is not None for r in results):
            facts = " and ".join(r[1] for r in results)
            places = ", ".join(dict.fromkeys(r[2] for r in results))
            return False, f"the organisation profile declares {facts} ({places})"
        return None

    def _test(self, part: str) -> tuple[bool, str, str] | None:
        """(holds, "fact: value", file:line) for one declared fact test, None when the fact is undeclared."""
        neg, name, minimum = _TERM.match(part).groups()
        if name not in self.facts:
            return None
        value = self.facts[name]
        holds = value >= int(minimum) if minimum is not None else bool(value) != bool(neg)
        shown = f"{name}: {_show(value)}" + (
            "" if minimum is None else f" ({'at least' if holds else 'fewer than'} {minimum})")
        return holds, shown, self.where.get(name, self.source)

    def to_dict(self) -> dict:
        return {"source": self.source, "organisation": self.organisation, "facts": dict(sorted(self.facts.items()))}


def _show(value) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def load_profile(path: str | Path) -> Profile:
    data, lines, label = load_checked(Path(path), "profile file", "profile.schema.json", "facts: {}")
    facts = {k: v for k, v in data["facts"].items() if v is not None}
    where = {k: f"{label}:{line_for(lines, ('facts', k))}" for k in facts}
    return Profile(source=label, facts=facts, where=where, organisation=data.get("organisation"))


def template() -> str:
    """A commented profile with every fact undeclared (null), for `gapcheck init`."""
    schema = json.loads(resources.files("checker.schema").joinpath("profile.schema.json").read_text("utf-8"))
    lines = ["# gapcheck organisation profile: facts about your organisation that the policy text cannot prove.",
             "# A declared fact (true/false, or a number) decides whether the requirements that depend on it apply,",
             "# and the report says the fact came from this file. Leave a fact null to let the policy text decide.",
             "# Used with `gapcheck POLICY --profile gapcheck-profile.yaml`, or `profile:` in gapcheck.yaml.",
             "", "organisation: null   # your organisation's name", "", "facts:"]
    for name, spec in schema["properties"]["facts"]["properties"].items():
        lines.append(f"  # {spec['description']}")
        lines.append(f"  {name}: null")
    return "\n".join(lines) + "\n"
