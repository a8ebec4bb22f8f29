"""Rule packs: validation errors name FILE:LINE, and extra folders add to or override the built-in packs."""
from __future__ import annotations

from pathlib import Path

import pytest

import checker
from checker import GapcheckError

PACK_YAML = 'regime: gdpr\ntitle: Test pack\nversion: "1.0.0"\n'

# A valid rule file; the line numbers below are what the error tests rely on.
RULE = """\
requirements:
  - id: gdpr.test_req
    title: Test requirement
    citation: Art. 1
    severity: major
    summary: A summary.
    remediation: Fix it.
    elements:
      - name: el
        label: an element
        match:
          phrase: right to erasure
    examples:
      match: []
      no_match: []
"""
#  1 requirements:        5 severity        9 - name        13 examples:
#  2   - id:              6 summary        10 label
#  3 title                7 remediation    11 match:
#  4 citation             8 elements:      12 phrase


@pytest.fixture
def rules(tmp_path, monkeypatch):
    """Write a pack folder `mypack/` under tmp_path and load it; labels are relative to tmp_path."""
    monkeypatch.chdir(tmp_path)

    def load(files: dict[str, str], pack_yaml: str = PACK_YAML, regimes=None):
        d = tmp_path / "mypack"
        d.mkdir(exist_ok=True)
        (d / "pack.yaml").write_text(pack_yaml, encoding="utf-8")
        for name, text in files.items():
            (d / name).write_text(text, encoding="utf-8")
        return checker.load_packs([tmp_path], regimes)

    return load


def load_error(rules, files, **kw) -> str:
    with pytest.raises(GapcheckError) as info:
        rules(files, **kw)
    return str(info.value)


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def test_valid_pack_loads(rules):
    packs = rules({"rules.yaml": RULE})
    gdpr = next(p for p in packs if p.regime == "gdpr")
    req = gdpr.requirements[-1]
    assert req.id == "gdpr.test_req"
    assert req.severity == "major"
    assert req.source == "mypack/rules.yaml:2"
    assert [e.name for e in req.elements] == ["el"]


# ---------------------------------------------------------------- errors with file and line


def test_bad_yaml_syntax(rules):
    bad = replace_once(RULE, "summary: A summary.", "summary: A: b")
    msg = load_error(rules, {"rules.yaml": bad})
    # the wording after "YAML error:" is the YAML parser's (libyaml or pure Python)
    assert msg.startswith("mypack/rules.yaml:6: YAML error: mapping values are not allowed")


def test_unknown_key_in_requirement(rules):
    bad = replace_once(RULE, "    remediation: Fix it.\n", "    colour: red\n    remediation: Fix it.\n")
    msg = load_error(rules, {"rules.yaml": bad})
    assert msg.startswith("mypack/rules.yaml:7: requirements[0].colour: unknown key")
    assert "'colour'" in msg


def test_missing_required_field(rules):
    bad = replace_once(RULE, "    citation: Art. 1\n", "")
    msg = load_error(rules, {"rules.yaml": bad})
    assert msg == "mypack/rules.yaml:2: requirements[0]: 'citation' is a required property"


def test_bad_severity(rules):
    bad = replace_once(RULE, "severity: major", "severity: huge")
    msg = load_error(rules, {"rules.yaml": bad})
    assert msg == "mypack/rules.yaml:5: requirements[0].severity: 'huge' is not one of ['critical', 'major', 'minor']"


def test_missing_element_field_points_at_the_element(rules):
    bad = replace_once(RULE, "        label: an element\n", "")
    msg = load_error(rules, {"rules.yaml": bad})
    assert msg == "mypack/rules.yaml:9: requirements[0].elements[0]: 'label' is a required property"


def test_bad_regex_in_a_rule(rules):
    bad = replace_once(RULE, "          phrase: right to erasure\n",
                       "          all:\n"
                       "            - phrase: erasure\n"
                       "            - regex: 'right (to'\n")
    msg = load_error(rules, {"rules.yaml": bad})
    assert msg.startswith("mypack/rules.yaml:14: requirements[0].elements[0].match.all[1]: bad regex 'right (to'")
    assert "missing )" in msg


def test_nested_quantifier_regex_is_rejected(rules):
    bad = replace_once(RULE, "        match:\n          phrase: right to erasure\n",
                       "        match: {regex: '(a+)+b'}\n")
    msg = load_error(rules, {"rules.yaml": bad})
    assert msg.startswith("mypack/rules.yaml:11: requirements[0].elements[0].match: regex '(a+)+b'")
    assert "catastrophic backtracking" in msg


def test_bounded_repeat_regex_is_accepted(rules):
    ok = replace_once(RULE, "        match:\n          phrase: right to erasure\n",
                      "        match: {regex: 'right(?:\\s+\\w+){0,3}\\s+erase'}\n")
    packs = rules({"rules.yaml": ok})
    assert "gdpr.test_req" in [r.id for p in packs for r in p.requirements]


def test_duplicate_yaml_key(rules):
    bad = replace_once(RULE, "    title: Test requirement\n", "    title: Test requirement\n    title: Again\n")
    msg = load_error(rules, {"rules.yaml": bad})
    assert msg == "mypack/rules.yaml:4: YAML error: duplicate key 'title' (first at line 3)"


def test_duplicate_requirement_id_across_files(rules):
    msg = load_error(rules, {"a.yaml": RULE, "b.yaml": "# same id again\n" + RULE})
    assert msg == "mypack/b.yaml:3: duplicate requirement id 'gdpr.test_req' (also mypack/a.yaml:2)"


def test_ref_to_unknown_definition(rules):
    bad = replace_once(RULE, "        match:\n          phrase: right to erasure\n",
                       "        match:\n          any:\n            - phrase: erasure\n            - ref: no_such_def\n")
    msg = load_error(rules, {"rules.yaml": bad})
    assert msg.startswith("mypack/rules.yaml:14: requirements[0].elements[0].match.any[1]: "
                          "unknown definition 'no_such_def' (defined: ")
    assert "personal_data" in msg  # the shared definitions are listed


def test_ref_to_local_and_pack_definitions(rules):
    pack_yaml = PACK_YAML + "defs:\n  pack_word: {terms: [erasure, deletion]}\n"
    rule = "defs:\n  local_word: {phrase: right}\n" + replace_once(
        RULE, "        match:\n          phrase: right to erasure\n",
        "        match: {all: [{ref: local_word}, {ref: pack_word}, {ref: personal_data}]}\n")
    packs = rules({"rules.yaml": rule}, pack_yaml=pack_yaml)
    assert "gdpr.test_req" in [r.id for p in packs for r in p.requirements]


def test_id_must_start_with_the_pack_regime(rules):
    bad = replace_once(RULE, "id: gdpr.test_req", "id: ccpa.test_req")
    msg = load_error(rules, {"rules.yaml": bad})
    assert msg == "mypack/rules.yaml:2: id 'ccpa.test_req' must start with 'gdpr.'"


def test_order_naming_an_unknown_id(rules):
    pack_yaml = PACK_YAML + "order:\n  - gdpr.test_req\n  - gdpr.no_such_rule\n"
    msg = load_error(rules, {"rules.yaml": RULE}, pack_yaml=pack_yaml)
    assert msg == "mypack/pack.yaml:6: order names 'gdpr.no_such_rule', which no rule file defines"


def test_bad_version_in_pack_yaml(rules):
    msg = load_error(rules, {"rules.yaml": RULE}, pack_yaml='regime: gdpr\ntitle: Test pack\nversion: "1.0"\n')
    assert msg == "mypack/pack.yaml:3: version: '1.0' does not match '^[0-9]+\\\\.[0-9]+\\\\.[0-9]+$'"


def test_bad_regex_in_pack_defs(rules):
    pack_yaml = PACK_YAML + "defs:\n  ok: {phrase: fine}\n  broken: {regex: '[a-'}\n"
    msg = load_error(rules, {"rules.yaml": RULE}, pack_yaml=pack_yaml)
    assert msg.startswith("mypack/pack.yaml:6: defs.broken: bad regex '[a-'")


# ---------------------------------------------------------------- merging with the built-in packs


def builtin_ids(regime: str) -> list[str]:
    return [r.id for p in checker.load_packs() if p.regime == regime for r in p.requirements]


def test_override_builtin_requirement_keeps_its_position(rules):
    before = builtin_ids("gdpr")
    assert len(before) >= 2
    target = before[1]
    override = replace_once(RULE, "id: gdpr.test_req", f"id: {target}")
    override = replace_once(override, "title: Test requirement", "title: Overridden")
    packs = rules({"override.yaml": override, "new.yaml": RULE})
    gdpr = next(p for p in packs if p.regime == "gdpr")
    ids = [r.id for r in gdpr.requirements]
    assert ids == before + ["gdpr.test_req"]
    assert gdpr.requirements[1].title == "Overridden"
    assert gdpr.requirements[1].source == "mypack/override.yaml:2"
    assert gdpr.version.endswith("+1.0.0")


def test_extra_folder_adds_a_new_regime(rules):
    pack_yaml = 'regime: acme\ntitle: Acme house rules\nversion: "2.0.0"\n'
    rule = replace_once(RULE, "id: gdpr.test_req", "id: acme.test_req")
    packs = rules({"rules.yaml": rule}, pack_yaml=pack_yaml)
    by_regime = {p.regime: p for p in packs}
    assert {"gdpr", "ccpa", "coppa", "acme"} <= set(by_regime)
    acme = by_regime["acme"]
    assert (acme.title, acme.version) == ("Acme house rules", "2.0.0")
    assert [r.id for r in acme.requirements] == ["acme.test_req"]
    assert [r.regime for r in acme.requirements] == ["acme"]
    only = rules({}, pack_yaml=pack_yaml, regimes=["acme"])
    assert [p.regime for p in only] == ["acme"]


def test_regime_filter_keeps_the_requested_order():
    packs = checker.load_packs(regimes=["coppa", "gdpr"])
    assert [p.regime for p in packs] == ["coppa", "gdpr"]


def test_unknown_regime_lists_the_available_ones():
    with pytest.raises(GapcheckError) as info:
        checker.load_packs(regimes=["nope"])
    msg = str(info.value)
    assert msg.startswith("unknown regime 'nope' (available: ")
    available = msg.split("available: ", 1)[1].rstrip(")").split(", ")
    assert {"gdpr", "ccpa", "coppa", "all"} <= set(available)


def test_extra_folder_without_a_pack(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(GapcheckError) as info:
        checker.load_packs([tmp_path / "empty"])
    assert str(info.value).endswith("empty: no rule pack here (a pack is a folder with pack.yaml)")


# ---------------------------------------------------------------- known bugs


@pytest.mark.parametrize("regex", ["((a+))+", "((a+)b?)+"])
def test_nested_quantifier_inside_an_inner_group_is_rejected(rules, regex):
    bad = replace_once(RULE, "        match:\n          phrase: right to erasure\n",
                       f"        match: {{regex: '{regex}'}}\n")
    msg = load_error(rules, {"rules.yaml": bad})
    assert "catastrophic backtracking" in msg


_SHIPPED_YAML = sorted(
    p for folder in ("rules", "examples", "checker") for p in (Path(__file__).parent.parent / folder).rglob("*.y*ml")
)


@pytest.mark.parametrize("path", _SHIPPED_YAML, ids=lambda p: str(p.relative_to(p.parents[2])))
def test_shipped_yaml_reads_the_same_without_libyaml(path):
    # libyaml accepts "personali?e" unquoted in a flow list; the pure-Python parser (a PyYAML built without
    # libyaml) refuses it. Every file we ship must read the same with both.
    import yaml

    text = path.read_text(encoding="utf-8")
    pure = list(yaml.load_all(text, Loader=yaml.SafeLoader))
    if hasattr(yaml, "CSafeLoader"):
        assert pure == list(yaml.load_all(text, Loader=yaml.CSafeLoader))
