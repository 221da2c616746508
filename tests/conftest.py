"""Shared test settings: generated code is cached in a folder of the test session, never in
the user's cache directory (tutor/cache.py, `BPTUTOR_CACHE`); tutor's byte code is written
once before the run, so that the processes the tests start (`python -m tutor`) read it."""

from __future__ import annotations

import compileall
import os
import sys
from pathlib import Path

import pytest
import typer.testing
from cli_runner import cached_command


def pytest_configure(config):
    """The package's byte code, made once (in xdist's controller, before its workers start):
    under PYTHONDONTWRITEBYTECODE a process compiles every module it imports from source, and
    the streams matrix alone starts a hundred (scripts/bench.py compiles it for the same
    reason). Python checks each file against its source, so an edited module is read afresh."""
    if hasattr(config, "workerinput"):
        return
    compileall.compile_dir(str(Path(__file__).resolve().parent.parent / "tutor"), quiet=1)


@pytest.hookimpl(wrapper=True)
def pytest_collection(session):
    """The test modules' rewritten byte code kept between runs (in tests/__pycache__, as
    pytest does unless told not to): under PYTHONDONTWRITEBYTECODE each xdist worker would
    rewrite the asserts of every test module again at every run, seconds per worker."""
    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, False
    try:
        return (yield)
    finally:
        sys.dont_write_bytecode = saved


# typer's CliRunner builds the click command from the app at every invoke (a few
# milliseconds each, over a thousand invokes): built once per app (tests/cli_runner.py)
typer.testing._get_command = cached_command(typer.testing._get_command)


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_auto_num_workers(config):
    """`-n auto`: one worker per core and one more. Part of the suite waits rather than
    computes (a lock held by another process, a child starting, Ctrl-C sent after a pause,
    a browser), and the extra worker computes meanwhile: on two cores, 113 s instead of
    120-125 s, alternated runs. PYTEST_XDIST_AUTO_NUM_WORKERS still chooses."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own reading of it
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) + 1


@pytest.fixture(autouse=True, scope="session")
def _code_cache(tmp_path_factory):
    os.environ["BPTUTOR_CACHE"] = str(tmp_path_factory.mktemp("code-cache"))


# The files whose tests take longest, first: xdist hands out whole files (`--dist loadfile`),
# and a long file started last leaves the other workers idle while it runs (longest first
# packs the workers; the order of the rest is as collected).
LONGEST_FIRST = (
    "test_streams.py",
    "test_tensor_catalogue.py",
    "test_views.py",
    "test_variants.py",
    "test_every_command.py",
    "test_progress.py",
    "test_wrapping.py",
    "test_entries.py",
    "test_texts.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
