"""Tests for the typed Quantity (issue 9): one parser and one formatter of `published:` keys."""

from __future__ import annotations

import re

import pytest

from tutor.model import Quantity
from tutor.problems import catalog
from tutor.problems.yamlsafe import load_yaml

# what each written form means, written out by hand (the loss is L)
MEANINGS = {
    "z": Quantity("value", ("z",)),
    "dL/dw1": Quantity("gradient", ("L", "w1")),
    "dyhat/dh": Quantity("factor", ("yhat", "h")),
    "dd1/dx": Quantity("factor", ("d1", "x")),
    "w1'": Quantity("after", ("w1",)),
    "L'": Quantity("after", ("L",)),
    "m[w1]": Quantity("state", ("w1",), slot="m"),
    "m_hat[w1]": Quantity("state", ("w1",), slot="m_hat"),
    "adam:W2_1_1'": Quantity("after", ("W2_1_1",), optimizer="adam"),
    "adam:v[b2_1]": Quantity("state", ("b2_1",), optimizer="adam", slot="v"),
    "momentum:buffer[w]": Quantity("state", ("w",), optimizer="momentum", slot="buffer"),
}


@pytest.mark.parametrize("text", list(MEANINGS))
def test_parse_reads_each_form_and_format_writes_it_back(text):
    q = Quantity.parse(text, "L")
    assert q == MEANINGS[text]
    assert q.text == text == str(q)


def test_the_loss_tells_a_gradient_from_a_local_factor():
    assert Quantity.parse("dE/dbeta", "E").kind == "gradient"
    assert Quantity.parse("dE/dbeta", "L").kind == "factor"
    assert Quantity.parse(" dL/dw1 ", "L").text == "dL/dw1"  # spaces around are not part of it


@pytest.mark.parametrize(
    "text",
    [
        "",
        "d/dw",
        "dL/d",
        "w1''",
        "m[w1",
        "q[w1]",
        "adam:",
        ":w'",
        "1z",
        "dL/dw1/dx",
        "a b",
        "w" * 300,
    ],
)
def test_what_is_not_a_quantity_is_refused(text):
    with pytest.raises(ValueError, match="not a quantity"):
        Quantity.parse(text, "L")


def catalogue_keys():
    """Every `published:` key of every catalogue file, read from the YAML itself (not through
    the loader), with the file's loss."""
    for f in catalog.builtin_files():
        data = load_yaml(f.read_text(encoding="utf-8"), str(f)).data
        if "published" in data:
            yield f.stem, data["published"], catalog.load(str(f)).loss


def test_every_catalogue_key_round_trips_and_the_loader_holds_the_same_quantity():
    seen = 0
    for pid, published, loss in catalogue_keys():
        if catalog.load(pid).tensor:
            _tensor_keys_are_read_as_written(pid, published)
            continue
        loaded = {p.key.text: p.key for p in catalog.load(pid).published}
        for text in published:
            q = Quantity.parse(text, loss)
            assert q.text == text, (pid, text)
            assert Quantity.parse(q.text, loss) == q
            assert loaded[text] == q, (pid, text)
            seen += 1
    assert seen > 80  # the catalogue publishes about a hundred quantities
    kinds = {
        Quantity.parse(t, loss).kind
        for pid, pub, loss in catalogue_keys()
        if not catalog.load(pid).tensor
        for t in pub
    }
    assert kinds == {"value", "gradient", "factor", "after", "state"}


TENSOR_KEY = re.compile(r"(dL/d)?(\w+)(')?(?:\[(\d+(?:,\d+)*)\])?")


def _tensor_keys_are_read_as_written(pid: str, published: dict) -> None:
    """A tensor problem's keys (z1, dL/dW1, W1', dL/dW1[2,3], numbered from 1), read here by a
    pattern of their own: the loader's kind, name and entry are the ones written."""
    problem = catalog.load(pid)
    loaded = {p.key: p for p in problem.published}
    names = set(problem.leaves) | {eq.name for eq in problem.graph}
    assert list(loaded) == list(published), pid
    for text in published:
        found = TENSOR_KEY.fullmatch(text)
        assert found, (pid, text)
        gradient, name, after, index = found.groups()
        kind = "gradient" if gradient else "after" if after else "value"
        entry = tuple(int(i) for i in index.split(",")) if index else None
        p = loaded[text]
        assert (p.kind, p.name, p.index) == (kind, name, entry), (pid, text)
        assert name in names, (pid, text)
