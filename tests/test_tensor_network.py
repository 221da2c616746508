"""`network:` files read for the matrix view: the direct reading of plain decimals and the
loader's full reading give the same problem; what the direct reading does not take falls
back to the loader, whose messages name file and line."""

import numpy as np
import pytest

from tutor.errors import ProblemError
from tutor.problems import network as tensor_network

NET = """\
id: net
title: {en: n, zh: n}
statement: {en: "W1 = {W1_1_1}", zh: "W1 = {W1_1_1}"}
network:
  inputs: [1, 2]
  layers:
    - weights: [[0.5, -0.25], [0.125, 1]]
      bias: [0.1, 0]
      activation: sigmoid
    - weights: [[1, -1]]
      activation: linear
  targets: [WEIGHT]
  loss: half_squared_error
update: {optimizer: sgd, lr: 0.1}
"""


def _load(tmp_path, text):
    f = tmp_path / "net.yaml"
    f.write_text(text, encoding="utf-8")
    return tensor_network.load(f)


def test_the_direct_reading_equals_the_loaders_reading(tmp_path):
    fast = _load(tmp_path, NET.replace("WEIGHT", "0.5"))
    slow = _load(tmp_path, NET.replace("WEIGHT", "1/2"))  # not a plain decimal: the loader
    assert fast.leaves.keys() == slow.leaves.keys()
    for name, value in fast.leaves.items():
        assert np.array_equal(value, slow.leaves[name]), name
    # by hand: a1 = σ([0.5 − 0.5 + 0.1, 0.125 + 2]), a2 = a1[1] − a1[2]
    assert fast.params["W1"].tolist() == [[0.5, -0.25], [0.125, 1.0]]
    assert [eq.text for eq in fast.graph] == [eq.text for eq in slow.graph]
    assert fast.statement.en == "W1 = {W1_1_1}"


@pytest.mark.parametrize(
    "change, message",
    [
        ("[[1, -1]]", None),
        ("[[1, -1, 3]]", "row 1 has 3 weights but the layer receives 2 values"),
        ("[[1, x]]", "'x'"),
    ],
)
def test_what_the_direct_reading_refuses_is_read_or_refused_by_the_loader(
    tmp_path, change, message
):
    text = NET.replace("WEIGHT", "0.5").replace("[[1, -1]]", change)
    if message is None:
        assert _load(tmp_path, text).params["W2"].shape == (1, 2)
        return
    with pytest.raises(ProblemError) as e:
        _load(tmp_path, text)
    assert message in e.value.message and e.value.line == 10


def test_an_unknown_loss_or_key_is_a_file_line_error(tmp_path):
    with pytest.raises(ProblemError, match="unknown loss 'hinged'"):
        _load(tmp_path, NET.replace("WEIGHT", "0.5").replace("half_squared_error", "hinged"))
    with pytest.raises(ProblemError, match="unknown key 'bais'"):
        _load(tmp_path, NET.replace("WEIGHT", "0.5").replace("bias:", "bais:"))
