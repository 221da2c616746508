"""Every view of every catalogue problem is as recorded in tests/golden/ (see golden.py).

After an intended change of output, record again (`python tests/golden.py`) and name the
difference in the commit message.
"""

from __future__ import annotations

import difflib

import golden
import pytest


@pytest.mark.parametrize(
    "ref, lang, path", golden.files(), ids=lambda v: str(getattr(v, "name", v))
)
def test_output_is_as_recorded(ref, lang, path):
    if not path.exists():
        pytest.fail(f"no snapshot {path.name}: run `python tests/golden.py`")
    want = path.read_text(encoding="utf-8")
    got = golden.snapshot(ref, lang)
    if got != want:
        diff = "".join(
            list(
                difflib.unified_diff(
                    want.splitlines(True), got.splitlines(True), path.name, "now", n=1
                )
            )[:60]
        )
        pytest.fail(f"{path.name} changed:\n{diff}")
