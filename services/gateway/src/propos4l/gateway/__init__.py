"""Propos4l gateway service."""
