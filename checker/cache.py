"""A cache of compiled rule packs, so a run does not read, validate and compile every rule file again.

The packs loaded from a list of rules folders (the Pack / Requirement / Flag / pattern-node objects, without
compiled regexes) are pickled to one file per list of folders (and working folder, when the rule files are
named relative to it), gapcheck version and Python version. The file starts with a digest of every rule file
read (name and bytes) and of the code that compiles them (checker/*.py and the JSON Schema): a digest that
differs is a miss, and the file is rewritten. An `extra` may be stored with the packs (packs.py stores the
compiled form of the regexes a run compiled, see matcher._CODES).

Where: $GAPCHECK_CACHE_DIR, else $XDG_CACHE_HOME/gapcheck, else ~/.cache/gapcheck; at most 16 files, the
least recently used go. GAPCHECK_NO_CACHE=1 turns it off. The cache never makes a run fail or changes what it
finds: a folder that cannot be written, a file that cannot be read or unpickled, or (on POSIX) one that is not
the user's own or that others may write is ignored, and the packs are loaded from the rule files. Writes are
atomic (a temporary file renamed into place).
"""
from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Sequence

FORMAT = 1  # bump when the layout of the file changes
KEEP = 16  # cache files kept in the folder


def enabled() -> bool:
    return os.environ.get("GAPCHECK_NO_CACHE", "").strip().lower() in ("", "0", "false", "no")


def cache_dir() -> Path:
    explicit = os.environ.get("GAPCHECK_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "gapcheck"


def _code_files() -> list[Path]:
    here = Path(__file__).resolve().parent
    return sorted(here.glob("*.py")) + [here / "schema" / "pack.schema.json"]


def digest(files: Sequence[Path]) -> str:
    """sha256 over every file's name and bytes, and over the code that compiles them."""
    h = hashlib.sha256()
    for group in (files, _code_files()):
        for f in group:
            data = f.read_bytes()
            h.update(f"{f}\0{len(data)}\0".encode("utf-8", "surrogateescape"))
            h.update(data)
    return h.hexdigest()


def _slot(roots: Sequence[Path]) -> Path:
    from . import __version__  # noqa: PLC0415 - checker/__init__ imports the modules that import this one

    ident = "\0".join([str(FORMAT), __version__, sys.version, sys.implementation.cache_tag or "", _cwd_part(roots),
                       *(str(r) for r in roots)])
    return cache_dir() / f"packs-{hashlib.sha256(ident.encode('utf-8', 'surrogateescape')).hexdigest()[:32]}.pickle"


def _cwd_part(roots: Sequence[Path]) -> str:
    """The working folder, when it changes how the rule files are named in the packs (relative to it, see
    packs._display): a rules folder inside it, or it inside a rules folder."""
    cwd = Path.cwd()
    for r in roots:
        if r.is_absolute() and (r == cwd or cwd in r.parents or r in cwd.parents):
            return str(cwd)
    return ""


def _trusted(fd: int) -> bool:
    """Only a cache file of the user's own that nobody else may write is unpickled."""
    if os.name != "posix":
        return True
    st = os.fstat(fd)
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


# [slot, key, value, extra] of the last cached() call that used the cache: what update() may rewrite (only the
# last, so that a process loading many rule sets does not keep them all)
_LAST: list = []


def cached(roots: Sequence[Path], files: Callable[[], Sequence[Path]], load: Callable[[], Any]) -> tuple[Any, Any]:
    """`load()`, or what it returned before for the same rule files, with the `extra` stored along with it
    since (see update; None on a miss or with the cache off). `files()` lists every rule file `load` reads;
    any error there, or in the cache, means: just load."""
    if not enabled():
        return load(), None
    try:
        slot = _slot(roots)
        key = digest(files())
    except Exception:  # noqa: BLE001 - unreadable rules: load() reports it properly
        return load(), None
    got = _read(slot, key)
    if got is not None:
        _LAST[:] = [slot, key, got[0], got[1]]
        return got
    value = load()
    _write(slot, key, value, None)
    _LAST[:] = [slot, key, value, None]
    return value, None


def _read(slot: Path, key: str) -> tuple[Any, Any] | None:
    try:
        with open(slot, "rb") as fh:
            if not _trusted(fh.fileno()):
                return None
            if pickle.load(fh) != (FORMAT, key):  # the header first: a stale file's objects are never built
                return None
            value, extra = pickle.load(fh)
    except Exception:  # noqa: BLE001 - missing, unreadable or corrupt: a miss
        return None
    try:
        os.utime(slot)  # recently used: kept by _prune
    except OSError:
        pass
    return value, extra


def last() -> tuple[Any, Any] | None:
    """(value, extra) of the last cached() call in this process that used the cache."""
    return (_LAST[2], _LAST[3]) if _LAST else None


def update(value: Any, extra: Any) -> None:
    """Store `extra` with `value` (what the last cached() call returned), for the next process."""
    if _LAST and _LAST[2] is value and _LAST[0].parent.is_dir():  # a folder removed since stays removed
        _write(_LAST[0], _LAST[1], value, extra)
        _LAST[3] = extra


def _write(slot: Path, key: str, value: Any, extra: Any) -> None:
    tmp = None
    try:
        data = pickle.dumps((FORMAT, key), protocol=pickle.HIGHEST_PROTOCOL) + pickle.dumps(
            (value, extra), protocol=pickle.HIGHEST_PROTOCOL)
        slot.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".packs-", suffix=".tmp", dir=slot.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, slot)
        tmp = None
        _prune(slot.parent)
    except Exception:  # noqa: BLE001 - a cache that cannot be written is no cache
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _prune(folder: Path) -> None:
    """At most KEEP cache files: the least recently used go, and so do temporary files an interrupted write
    left behind."""
    try:
        files = sorted(folder.glob("packs-*.pickle"), key=lambda f: f.stat().st_mtime, reverse=True)
        stale = [f for f in folder.glob(".packs-*.tmp") if f.stat().st_mtime < time.time() - 3600]
        for f in files[KEEP:] + stale:
            f.unlink()
    except OSError:
        pass
