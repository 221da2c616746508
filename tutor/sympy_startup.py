"""SymPy's first sum without its tensor module.

SymPy's `Add.flatten` runs `from sympy.tensor.tensor import TensExpr, TensAdd` every time it
sums, to ask whether a term is a tensor expression. The first time, that imports
`sympy.tensor.tensor` and SymPy's combinatorics with it: about 30 ms of CPU in every command
that sums anything, for a question whose answer is always no here (bptutor makes no SymPy
tensors; its tensor problems are NumPy arrays).

`defer_tensor_module` puts a stand-in module under that name. It answers only `Add.flatten`
(known by its code object), with two classes nothing is an instance of, which is the truth
until the real module exists: a tensor expression can only be made by its classes. Any other
use of the module (`import sympy.tensor.tensor`, any other name, any other caller) removes
the stand-in and imports the real module, which then answers everyone, `Add.flatten` too.
"""

from __future__ import annotations

import sys
import types

NAME = "sympy.tensor.tensor"


class _NotATensor:
    """No object is an instance of this: what `isinstance(term, TensExpr)` answers before
    any tensor expression can exist."""

    def __new__(cls, *args, **kwargs):
        raise TypeError("no SymPy tensor expression exists before sympy.tensor.tensor is imported")


class _StandIn(types.ModuleType):
    def __init__(self, flatten_code):
        super().__init__(NAME, __doc__)
        self._flatten_code = flatten_code
        self._answers = {
            "TensExpr": type("TensExpr", (_NotATensor,), {}),
            "TensAdd": type("TensAdd", (_NotATensor,), {}),
        }

    def __getattr__(self, attr: str):
        if attr.startswith("__"):  # the import system's own questions (__path__, __spec__...)
            raise AttributeError(attr)
        if attr in self._answers and sys._getframe(1).f_code is self._flatten_code:
            return self._answers[attr]
        return getattr(_real(), attr)


def _real() -> types.ModuleType:
    """The real module, imported in place of the stand-in."""
    import importlib

    if isinstance(sys.modules.get(NAME), _StandIn):
        del sys.modules[NAME]
    return importlib.import_module(NAME)


def defer_tensor_module() -> None:
    """Put the stand-in in place, unless the real module is loaded or SymPy's sum no longer
    looks as expected (then nothing changes)."""
    import sympy

    if NAME in sys.modules:
        return
    flatten = getattr(sympy.Add.flatten, "__func__", None)
    code = getattr(flatten, "__code__", None)
    if code is None or "TensExpr" not in code.co_names:
        return
    stand_in = _StandIn(code)
    sys.modules[NAME] = stand_in
    sympy.tensor.tensor = stand_in  # `import sympy.tensor.tensor` then reads it through it
