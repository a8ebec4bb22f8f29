"""The pack cache (checker/cache.py): a hit skips reading the rule files, a changed rule file is a miss, and a
cache that is corrupt, foreign or cannot be written never makes a run fail or change its result."""
from __future__ import annotations

import os
import pickle
import re
from pathlib import Path

import pytest

import checker
from checker import cache, matcher, packs as packs_mod

from test_packs import PACK_YAML, RULE

TEXT = "You may ask us to delete your data. We exercise the right to erasure on request."


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv("GAPCHECK_CACHE_DIR", str(d))
    monkeypatch.delenv("GAPCHECK_NO_CACHE", raising=False)
    return d


@pytest.fixture
def overlay(tmp_path, monkeypatch) -> Path:
    """An extra rules folder with one pack (regime gdpr, one requirement), outside the working folder."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    d = tmp_path / "extra" / "mypack"
    d.mkdir(parents=True)
    (d / "pack.yaml").write_text(PACK_YAML, encoding="utf-8")
    (d / "rule.yaml").write_text(RULE, encoding="utf-8")
    return d.parent


def count_loads(monkeypatch) -> list[int]:
    """Count the real loads (rule files read and compiled) from here on."""
    calls: list[int] = []
    real = packs_mod._load_roots

    def spy(roots):
        calls.append(1)
        return real(roots)

    monkeypatch.setattr(packs_mod, "_load_roots", spy)
    return calls


def cache_files(d: Path) -> list[Path]:
    return sorted(d.glob("packs-*.pickle"))


def summary(loaded) -> list:
    return [(p.regime, p.version, p.dirs, [(r.id, r.source, r.summary) for r in p.requirements],
             [f.id for f in p.flags]) for p in loaded]


def test_hit_skips_the_rule_files_and_gives_the_same_packs(cache_dir, overlay, monkeypatch):
    calls = count_loads(monkeypatch)
    first = checker.load_packs([overlay])
    assert len(calls) == 1 and len(cache_files(cache_dir)) == 1
    second = checker.load_packs([overlay])
    assert len(calls) == 1  # from the cache
    assert summary(second) == summary(first)
    assert second[0].requirements[0].id == first[0].requirements[0].id


def test_cached_packs_check_like_freshly_loaded_ones(cache_dir, monkeypatch):
    policy = (Path(__file__).resolve().parent.parent / "examples" / "gappy-policy.md").read_text("utf-8")
    checker.load_packs()  # fill the cache
    cached = checker.load_packs()
    monkeypatch.setenv("GAPCHECK_NO_CACHE", "1")
    fresh = checker.load_packs()
    as_of = __import__("datetime").date(2026, 11, 26)
    a = checker.check_text(policy, name="gappy.md", packs=cached, as_of=as_of).to_dict()
    b = checker.check_text(policy, name="gappy.md", packs=fresh, as_of=as_of).to_dict()
    assert a == b


def test_a_changed_rule_file_is_a_miss(cache_dir, overlay, monkeypatch):
    calls = count_loads(monkeypatch)
    assert checker.load_packs([overlay])[0].requirements[-1].summary == "A summary."
    rule = overlay / "mypack" / "rule.yaml"
    rule.write_text(RULE.replace("A summary.", "Another summary."), encoding="utf-8")
    assert checker.load_packs([overlay])[0].requirements[-1].summary == "Another summary."
    assert len(calls) == 2
    assert checker.load_packs([overlay])[0].requirements[-1].summary == "Another summary."
    assert len(calls) == 2  # and the new version is cached in turn


def test_a_new_rule_file_is_a_miss(cache_dir, overlay, monkeypatch):
    calls = count_loads(monkeypatch)
    checker.load_packs([overlay])
    (overlay / "mypack" / "more.yaml").write_text(RULE.replace("gdpr.test_req", "gdpr.other_req"), encoding="utf-8")
    ids = [r.id for r in checker.load_packs([overlay])[0].requirements]
    assert "gdpr.other_req" in ids and len(calls) == 2


def test_an_invalid_rule_file_is_still_reported(cache_dir, overlay):
    checker.load_packs([overlay])
    (overlay / "mypack" / "rule.yaml").write_text(RULE.replace("severity: major", "severity: urgent"), encoding="utf-8")
    with pytest.raises(checker.GapcheckError, match=r"rule\.yaml:5: .*severity"):
        checker.load_packs([overlay])


@pytest.mark.parametrize("garbage", [
    lambda data: b"",
    lambda data: b"not a pickle",
    lambda data: pickle.dumps(("something", "else")),
    lambda data: pickle.dumps((cache.FORMAT, "0" * 64)) + data,  # a stale digest
    lambda data: data[: len(data) // 2],  # cut short
    lambda data: data[:-200] + b"\0" * 200,
])
def test_a_corrupt_cache_file_is_ignored_and_replaced(cache_dir, overlay, monkeypatch, garbage):
    checker.load_packs([overlay])
    [f] = cache_files(cache_dir)
    f.write_bytes(garbage(f.read_bytes()))
    calls = count_loads(monkeypatch)
    loaded = checker.load_packs([overlay])
    assert len(calls) == 1 and loaded[0].requirements[-1].id == "gdpr.test_req"
    checker.load_packs([overlay])
    assert len(calls) == 1  # rewritten, good again


@pytest.mark.skipif(os.name != "posix", reason="file owners and modes")
def test_a_cache_file_others_may_write_is_not_trusted(cache_dir, overlay, monkeypatch):
    checker.load_packs([overlay])
    [f] = cache_files(cache_dir)
    os.chmod(f, 0o666)
    calls = count_loads(monkeypatch)
    checker.load_packs([overlay])
    assert len(calls) == 1


def test_an_unwritable_cache_folder_is_ignored(tmp_path, overlay, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("GAPCHECK_CACHE_DIR", str(blocker / "cache"))  # cannot be created, even by root
    calls = count_loads(monkeypatch)
    first = checker.load_packs([overlay])
    second = checker.load_packs([overlay])
    assert len(calls) == 2 and summary(first) == summary(second)
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_no_cache_when_turned_off(cache_dir, overlay, monkeypatch):
    monkeypatch.setenv("GAPCHECK_NO_CACHE", "1")
    calls = count_loads(monkeypatch)
    checker.load_packs([overlay])
    checker.load_packs([overlay])
    assert len(calls) == 2 and not cache_dir.exists()


def test_default_location_follows_xdg(tmp_path, monkeypatch):
    monkeypatch.delenv("GAPCHECK_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "gapcheck"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "gapcheck"


def test_labels_relative_to_the_working_folder_are_not_shared(cache_dir, tmp_path, monkeypatch):
    """A rules folder inside the working folder is named relative to it: another working folder, another slot."""
    d = tmp_path / "extra" / "mypack"
    d.mkdir(parents=True)
    (d / "pack.yaml").write_text(PACK_YAML, encoding="utf-8")
    (d / "rule.yaml").write_text(RULE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    near = checker.load_packs([tmp_path / "extra"])[0].requirements[-1].source
    monkeypatch.chdir(tmp_path / "extra")
    nearer = checker.load_packs([tmp_path / "extra"])[0].requirements[-1].source
    assert near == "extra/mypack/rule.yaml:2" and nearer == "mypack/rule.yaml:2"


def test_compiled_regexes_are_stored_and_equal_to_re_compile(cache_dir, overlay):
    loaded = checker.load_packs([overlay])
    doc = checker.read_document("p.md", data=TEXT.encode())
    checker.check_document(doc, loaded)
    packs_mod._save_regex_codes()  # what happens at exit
    [f] = cache_files(cache_dir)
    with open(f, "rb") as fh:
        assert pickle.load(fh)[0] == cache.FORMAT
        _, codes = pickle.load(fh)
    sources = matcher.leaf_sources(matcher.leaves_of(packs_mod._pack_nodes({p.regime: p for p in loaded})))
    if matcher._codes_ok():  # CPython with the expected regex internals
        assert codes and set(codes) <= set(sources)
        for source, args in list(codes.items())[:50]:  # the regex that scans, scan_source's
            scan = matcher.scan_source(source)
            assert matcher._build(scan, args) == re.compile(scan, matcher._FLAGS)
