"""Solving: the scalar graph (SymPy, exact values), the tensor graph (the op table),
generated code and the backward rules."""
