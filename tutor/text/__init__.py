"""Words and numbers: the message catalogue (en/zh), notation, line breaking."""
