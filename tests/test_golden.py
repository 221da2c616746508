"""Every view of every catalogue problem is as recorded in tests/golden/ (see golden.py).

After an intended change of output, record again (`python tests/golden.py`) and name the
difference in the commit message.
"""

from __future__ import annotations

import difflib

import golden
import pytest

from tutor.problems import catalog


def test_every_catalogue_problem_of_every_kind_has_its_snapshots():
    """ex1-ex25 in en and zh: scalar, network, symbolic and tensor problems alike."""
    refs = {ref for ref, _, _ in golden.files()}
    assert refs == {f.stem for f in catalog.builtin_files()} and len(refs) == 33
    kinds = {(p.tensor, p.symbolic) for p in map(catalog.load, sorted(refs))}
    assert kinds == {(True, False), (False, True), (False, False)}
    assert len(golden.files()) == 2 * len(refs)
    for ref in ("ex18", "ex25"):  # a tensor snapshot holds the tensor views and the quiz
        text = (golden.FOLDER / f"{ref}.en.txt").read_text(encoding="utf-8")
        assert "===== quiz" in text and "Score:" in text and "[" in text


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
