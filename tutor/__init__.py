"""bptutor: a step-by-step backpropagation tutor for the terminal, scripts and notebooks.

    import tutor
    result = tutor.solve("ex2")        # a worked solution; renders in Jupyter / VS Code
    result.grads["w1"]                 # 8.0
    tutor.check("ex4").ok              # are the published answers right?
    tutor.train("ex4", 1000, lr=0.5)   # many optimizer steps
    tutor.quiz("ex2", ["3", "3"])      # a quiz answered from a list (or lines of text)
    from tutor.quiz.grading import grade    # grade a typed answer

See docs/api.md. `import tutor` is cheap: SymPy and NumPy load on the first solve.
"""

from tutor.version import __version__ as __version__

# the API's functions, imported on first use (tutor.cli imports this package too)
_API = ("load", "solve", "check", "train", "Result", "Graph", "Report", "Quiz", "Training")
__all__ = [*_API, "quiz", "grade"]


def __getattr__(name: str):
    if name == "quiz":  # the package tutor.quiz, callable as the API's quiz (tutor.api.quiz)
        import tutor.quiz

        return tutor.quiz
    if name in _API:
        from tutor import api

        return getattr(api, name)
    if name == "grade":
        from tutor.quiz.grading import grade

        return grade
    raise AttributeError(f"module 'tutor' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
