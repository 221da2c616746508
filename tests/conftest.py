"""Shared test settings: generated code is cached in a folder of the test session, never in
the user's cache directory (tutor/cache.py, `BPTUTOR_CACHE`)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _code_cache(tmp_path_factory):
    os.environ["BPTUTOR_CACHE"] = str(tmp_path_factory.mktemp("code-cache"))
