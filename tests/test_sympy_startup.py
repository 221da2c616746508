"""Tests for tutor.sympy_startup: SymPy's first sum without importing its tensor module.

In a fresh interpreter (the process's imports are the point): solving problems of every kind
imports no SymPy combinatorics, and SymPy's tensors still work, sums of them included, once a
program asks for them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "BPTUTOR_CACHE": "off", "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


SUMS = (
    "import sympy as sp\n"
    "a, y, z = sp.symbols('a y z', real=True)\n"
    "for e in (2 * a - 2 * y + 1 + a, sp.factor_terms(2 * a - 2 * y), (a - y) / (a * (a - 1)),\n"
    "          sp.together(1 / a + 1 / (1 - a)), sp.diff(sp.tanh(z * a + y) ** 2, a)):\n"
    "    print(sp.srepr(e))\n"
)


def test_solving_imports_no_tensor_module_and_sums_as_before():
    # the oracle: the same sums in plain SymPy with its tensor module imported first
    plain = run("import sympy.tensor.tensor\n" + SUMS)
    out = run(
        "import sys\n"
        "from tutor.engine import matrix_solve as tensor_solve\n"
        "from tutor.problems import catalog\n"
        "from tutor.solutions import explain\n"
        "for ref in ('ex1', 'ex2', 'ex9', 'ex18'):\n"
        "    p = catalog.load(ref)\n"
        "    s = tensor_solve.solve(p) if p.tensor else explain.solve(p)\n"
        + SUMS
        + "print('sympy.combinatorics' in sys.modules)\n"
    )
    assert out.splitlines() == plain.splitlines() + ["False"]
    assert len(plain.splitlines()) == 5 and "Add(" in plain


def test_tensors_still_work_once_asked_for():
    out = run(
        "import sys\n"
        "import tutor.registry.functions\n"
        "import sympy as sp\n"
        "print(sp.Symbol('x') + 1)\n"  # a sum through the stand-in first
        "from sympy.tensor.tensor import TensorIndexType, TensorHead, TensAdd, tensor_indices\n"
        "L = TensorIndexType('L')\n"
        "i = tensor_indices('i', L)\n"
        "A, B = TensorHead('A', [L]), TensorHead('B', [L])\n"
        "total = A(i) + B(i)\n"
        "print(type(total).__name__, isinstance(total, TensAdd))\n"
        "print(sp.Symbol('x') + A(i) * B(-i) + 1)\n"
        "import sympy.tensor.tensor as t\n"
        "print(t is sys.modules['sympy.tensor.tensor'], t.TensAdd is TensAdd)\n"
    )
    assert out.splitlines() == [
        "x + 1",
        "TensAdd True",
        "1 + x + A(L_0)*B(-L_0)",
        "True True",
    ]
