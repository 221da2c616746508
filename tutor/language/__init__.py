"""The notation a problem file and a student write: numbers, scalar expressions (SymPy), tensor expressions (op trees), each read by the project's own parser and printed back."""
