"""Tests for the typed Quantity (issue 9): one parser and one formatter of `published:` keys."""

from __future__ import annotations

import pytest
import shared

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
    for f in shared.scalar_files():  # tensor keys (dL/dW1[2,3]): the tensor quiz's, skip_tensor
        data = load_yaml(f.read_text(encoding="utf-8"), str(f)).data
        if "published" in data:
            yield f.stem, data["published"], catalog.load(str(f)).loss


def test_every_catalogue_key_round_trips_and_the_loader_holds_the_same_quantity():
    seen = 0
    for pid, published, loss in catalogue_keys():
        loaded = {p.key.text: p.key for p in catalog.load(pid).published}
        for text in published:
            q = Quantity.parse(text, loss)
            assert q.text == text, (pid, text)
            assert Quantity.parse(q.text, loss) == q
            assert loaded[text] == q, (pid, text)
            seen += 1
    assert seen > 80  # the catalogue publishes about a hundred quantities
    kinds = {Quantity.parse(t, loss).kind for _, pub, loss in catalogue_keys() for t in pub}
    assert kinds == {"value", "gradient", "factor", "after", "state"}
