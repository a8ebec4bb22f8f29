"""COPPA's notice details apply to child-directed services only: whole policies for each kind of audience."""
from __future__ import annotations

from pathlib import Path

import pytest

import checker

FIXTURES = Path(__file__).parent / "fixtures" / "coppa"
DETAILS = ("coppa.operator_contact", "coppa.collection_practices", "coppa.parental_rights")


def statuses(name: str) -> dict[str, checker.Finding]:
    report = checker.check([FIXTURES / name], regimes="coppa").reports[0]
    return {f.id: f for f in report.findings}


def test_child_directed_service_gets_every_detail_checked():
    found = statuses("child-directed.md")
    assert [found[i].status for i in DETAILS] == ["met", "met", "met"]


def test_general_audience_service_is_not_applicable_and_quotes_why():
    found = statuses("general-audience.md")
    assert found["coppa.minimum_age"].status == "met"
    for rid in DETAILS:
        assert found[rid].status == "not_applicable"
        assert found[rid].explanation.startswith("Not applicable: the policy rules out that")
        assert "line " in found[rid].explanation


def test_knowing_collection_with_parental_consent_applies():
    found = statuses("mixed-consent.md")
    assert [found[i].status for i in DETAILS] == ["missing", "partial", "partial"]


@pytest.mark.parametrize("rid", DETAILS)
def test_a_policy_silent_on_children_is_not_applicable(rid):
    f = statuses("silent.md")[rid]
    assert f.status == "not_applicable"
    assert f.explanation.startswith("Not applicable: nothing in the policy indicates that")
