"""Learning from data: data sets, training loops, the live view."""
