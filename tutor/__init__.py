"""bptutor: a step-by-step backpropagation tutor for the terminal."""

__version__ = "0.1.0"
