"""Per-student work on every core: a class's students are independent of one another, so
`homework make` and `grade` hand them to worker processes (forked: the problems, solved
structures and caches of the parent are there without being sent), and collect the results
in the students' order, so the files are the same whatever the number of cores."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence

MIN_PARALLEL = 16  # fewer students: the workers' start costs more than it saves
MAX_WORKERS = 8

_WORK: list = []  # the function the forked workers run (set before the pool starts)


def each(work: Callable, items: Sequence, progress: Callable[[], None] | None = None) -> list:
    """`work(item)` for every item, in order; `progress()` after each."""
    workers = min(os.cpu_count() or 1, MAX_WORKERS, len(items))
    if workers < 2 or len(items) < MIN_PARALLEL or "fork" not in _methods():
        return [_step(work, item, progress) for item in items]
    from concurrent.futures import ProcessPoolExecutor

    _WORK[:] = [work, items]
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_worker) as pool:
            out = []
            chunk = max(1, len(items) // (workers * 4))
            for result in pool.map(_run, range(len(items)), chunksize=chunk):
                out.append(result)
                if progress is not None:
                    progress()
            return out
    finally:
        _WORK.clear()


def _step(work, item, progress):
    result = work(item)
    if progress is not None:
        progress()
    return result


def _methods() -> list[str]:
    return multiprocessing.get_all_start_methods()


def _worker() -> None:
    # Ctrl-C reaches the whole process group: the parent stops the set (its folder is
    # written only when complete); a worker finishes its student quietly
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run(index: int):
    work, items = _WORK
    return work(items[index])
