"""Quiz mode, in four modules: `questions` (what a solution asks, in order), `grading` (pure
grading of typed answers, public: `grading.grade`), `diagnosis` (the usual mistakes and error
carried forward, through the engine) and `quiz_loop` (the session and its loop).

This module keeps the names older code imports, and the activations the diagnosis knows.
"""

from __future__ import annotations

import sympy as sp

from .functions import relu, sigmoid, softplus

ACTIVATIONS = (sigmoid, relu, softplus, sp.tanh)

from .grading import grade, read_number, tolerance  # noqa: E402
from .questions import questions  # noqa: E402
from .quiz_loop import Outcome, Session  # noqa: E402

__all__ = ["ACTIVATIONS", "Outcome", "Session", "grade", "questions", "read_number", "tolerance"]
