"""Formatting a solution: the terminal, Markdown and HTML documents, graphs, charts."""
