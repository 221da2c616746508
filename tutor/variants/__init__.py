"""New values for a problem: --set, random variants, what a student can compute."""
