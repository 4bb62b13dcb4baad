"""Propos4l generator service."""
