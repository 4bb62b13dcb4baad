"""Propos4l backup service."""
