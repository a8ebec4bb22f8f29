from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def packs():
    import checker

    return checker.load_packs()


_CACHE_DIR: str | None = None


def pytest_configure(config):
    """The suite's own pack cache (checker/cache.py), not the user's: every test that loads packs from a new
    rules folder writes a cache file, and the suite should not depend on what an earlier run left behind."""
    global _CACHE_DIR
    _CACHE_DIR = tempfile.mkdtemp(prefix="gapcheck-test-cache-")
    os.environ["GAPCHECK_CACHE_DIR"] = _CACHE_DIR


def pytest_unconfigure(config):
    if _CACHE_DIR:
        shutil.rmtree(_CACHE_DIR, ignore_errors=True)
