"""Questions, grading, the ask loop, review and progress."""
