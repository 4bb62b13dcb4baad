"""Propos4l renderer service."""
