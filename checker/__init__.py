"""gapcheck: check a privacy policy against GDPR, California law and COPPA, with quoted evidence.

Library API::

    import checker
    result = checker.check(["policy.md"], regimes="gdpr,ccpa")
    for report in result.reports:
        for finding in report.findings:
            print(finding.id, finding.status)
"""
from importlib.metadata import PackageNotFoundError, version as _version

from .api import check, check_document, check_text, read_document
from .model import Document, Evidence, Finding, Gate, GapcheckError, Report, Result
from .packs import Pack, Requirement, load_packs
from .waivers import Waiver, load_waivers

try:
    __version__ = _version("gapcheck")
except PackageNotFoundError:  # running from a source checkout
    __version__ = "0.1.0"

__all__ = [
    "check", "check_text", "check_document", "read_document", "load_packs", "load_waivers",
    "Document", "Evidence", "Finding", "Gate", "GapcheckError", "Pack", "Report", "Requirement", "Result", "Waiver",
    "__version__",
]
