"""The California "sells or shares personal information" condition (rules/ccpa/pack.yaml, sellshare_shown):
selling goods is not selling personal information. The opt-out requirement applies when the policy is silent
either way, so these passages do not change its status; what changes is the reason the finding gives, which
must not quote a sentence about T-shirts as evidence that personal information is sold."""
from __future__ import annotations

import pytest

from checker.api import check_text

AS_OF = __import__("datetime").date(2026, 11, 26)
BASE = "# Privacy Policy\n\nExample Games LLC runs this website.\n\n"


def _opt_out(text: str, packs):
    report = check_text(BASE + text + "\n", "p.md", packs=[p for p in packs if p.regime == "ccpa"], as_of=AS_OF)
    return next(f for f in report.findings if f.id == "ccpa.right_to_opt_out")


@pytest.mark.parametrize("sentence", [
    "We sell merch like T-shirts and mugs through our online store.",
    "We also sell apparel and accessories at our events.",
    "We sell software licenses to businesses and schools.",
    "If you buy a gift card, we sell gift cards through a payment partner.",
    "We sell memberships that unlock extra levels.",
    "We sell books and courses about photography.",
    "We sell devices and hardware through retailers.",
    "Orders for the products we sell are fulfilled by our logistics partner.",
    "The goods that we sell in our stores carry a one-year warranty.",
    "Prices of the items we sell online may differ from those in our shops.",
    "Tickets we sell for our events are non-refundable.",
])
def test_selling_goods_is_not_cited_as_selling_personal_information(sentence, packs):
    f = _opt_out(sentence, packs)
    assert f.status == "missing"  # silent on selling personal information: it applies
    assert "nothing in the policy rules out" in f.explanation and sentence[:20] not in f.explanation


@pytest.mark.parametrize("sentence", [
    "We may sell your personal information to data brokers.",
    "We sell aggregated location data to our partners.",
    "We have sold the following categories of personal information in the past 12 months: identifiers.",
    "We share your personal information with advertising partners for targeted advertising.",
    "Some of these disclosures may be considered a sale under California law.",
    "We also sell information about how you use the app to analytics companies.",
    "The information we sell includes your browsing history and inferred interests.",
    "Products we recommend use data we sell to partners, such as your purchase history.",
])
def test_selling_data_is_cited(sentence, packs):
    f = _opt_out(sentence, packs)
    assert f.status == "missing" and "because the policy indicates" in f.explanation, f.explanation
