"""Widgets the screens share; only chart.py imports plotext."""
