"""Propos4l test suite."""
