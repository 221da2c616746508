"""Declared once: functions, tensor ops, optimizer rules, learning-rate schedules."""
