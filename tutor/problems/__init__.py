"""Reading problems: safe YAML, numbers, the restricted parsers, the loaders."""
