"""Checking many policies: in parallel worker processes (`jobs`), in input order, one policy's failure not
stopping the others, and streamed, so that a caller writing JSON Lines holds one report at a time.

Workers get the packs once (inherited on fork, pickled otherwise; the pack cache makes either cheap) and
return each Report; the order of results is the order of the inputs whatever the number of workers, so output
is deterministic.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import Callable, Iterator, Sequence

from .model import GapcheckError, Report

MIN_FILES_PER_WORKER = 4  # below this many files per extra worker, starting processes costs more than it saves


@dataclass(frozen=True)
class Failure:
    """A policy that could not be checked: the one-line reason, naming the file."""

    path: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


_STATE: dict = {}  # in a worker: packs, as_of, encoding, max_bytes


def _init(packs, as_of: date, encoding: str | None, max_bytes: int | None, profile=None) -> None:
    _STATE.update(packs=packs, as_of=as_of, encoding=encoding, max_bytes=max_bytes, profile=profile)


def _check_one(path: str) -> Report | Failure:
    from .api import check_document, read_document

    try:
        doc = read_document(path, _STATE["encoding"], max_bytes=_STATE["max_bytes"])
        return check_document(doc, _STATE["packs"], _STATE["as_of"], _STATE.get("profile"))
    except GapcheckError as e:
        return Failure(path, str(e))
    except RecursionError:
        return Failure(path, f"{path}: too deeply nested to read")
    except MemoryError:
        return Failure(path, f"{path}: too large to read in the memory available")


def check_many(paths: Sequence[str], packs, as_of: date, encoding: str | None = None, jobs: int | None = None,
               max_bytes: int | None = None,
               progress: Callable[[int, int, str], None] | None = None, profile=None) -> Iterator[Report | Failure]:
    """Yield a Report (or a Failure) per path, in the order given. `jobs`: worker processes (default: the
    number of cores; 1 = in this process). `progress(done, total, path)` is called after each policy."""
    jobs = default_jobs() if jobs is None else max(1, jobs)
    jobs = min(jobs, max(1, len(paths) // MIN_FILES_PER_WORKER))
    total = len(paths)
    if jobs == 1 or "-" in paths:
        _init(packs, as_of, encoding, max_bytes, profile)
        for n, path in enumerate(paths, 1):
            got = _check_one(path)
            if progress:
                progress(n, total, path)
            yield got
        return
    import multiprocessing

    ctx = multiprocessing.get_context()
    with ctx.Pool(jobs, initializer=_init, initargs=(packs, as_of, encoding, max_bytes, profile)) as pool:
        for n, got in enumerate(pool.imap(_check_one, paths, chunksize=1), 1):
            if progress:
                progress(n, total, paths[n - 1])
            yield got
