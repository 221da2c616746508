"""How many parameters each layer of a problem has, and the network in all: read off the
problem's equations and the shapes of its given parameters, never copied from a file.

A layer is an equation that reads a parameter; its count is the sum of the sizes of the
parameters it reads (a tensor's entries; a scalar problem's parameter is one number, so its
count is how many parameters the equation reads). The total counts every parameter the layers
read once, however many layers share it. The same for every kind of problem: a tensor file,
a `network:` file in either view (its layers as matrices, or its units one equation each), a
scalar file, a symbolic one (no values needed: a scalar parameter is one number). Values do
not enter, so a random variant has the counts of its problem. Facts only: the quiz asks them
(`tutor/quiz/counting.py`), the views show them.
"""

from __future__ import annotations

import math

import numpy as np

from tutor.model import Problem
from tutor.model.solution import LayerCount, ParameterCounts, ParamSize


def reads(problem: Problem, eq) -> set[str]:
    """The names an equation reads: an op tree's, or a SymPy expression's free symbols."""
    if problem.tensor:
        return set(eq.expr.names())
    return {s.name for s in eq.expr.free_symbols}


def size_of(problem: Problem, name: str) -> ParamSize:
    """A parameter's shape and size: a tensor's, or one number for a scalar problem's (whose
    value may be missing: a symbolic problem)."""
    if not problem.tensor:
        return ParamSize(name, (), 1)
    shape = tuple(int(n) for n in np.shape(problem.params[name]))
    return ParamSize(name, shape, math.prod(shape))


def parameter_counts(problem: Problem) -> ParameterCounts:
    """Each layer's parameters and count, in the order of the graph, and the total."""
    order = list(problem.params)
    sizes = {name: size_of(problem, name) for name in order}
    layers: list[LayerCount] = []
    readers: dict[str, int] = {}
    for eq in problem.graph:
        names = reads(problem, eq)
        mine = tuple(sizes[n] for n in order if n in names)
        if not mine:
            continue
        for p in mine:
            readers[p.name] = readers.get(p.name, 0) + 1
        layers.append(LayerCount(eq.name, mine, sum(p.size for p in mine)))
    read = tuple(sizes[n] for n in order if n in readers)
    shared = tuple(n for n in order if readers.get(n, 0) > 1)
    return ParameterCounts(tuple(layers), read, sum(p.size for p in read), shared)
