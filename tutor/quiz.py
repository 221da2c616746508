"""Quiz mode, in four modules: `questions` (what a solution asks, in order), `grading` (pure
grading of typed answers, public: `grading.grade`), `diagnosis` (the usual mistakes and error
carried forward, through the engine) and `quiz_loop` (the session and its loop).

This module keeps the names older code imports.
"""

from __future__ import annotations

from .grading import grade, read_number, tolerance
from .questions import questions
from .quiz_loop import Outcome, Session

__all__ = ["Outcome", "Session", "grade", "questions", "read_number", "tolerance"]
