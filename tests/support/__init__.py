"""Shared test helpers: fakes of external services."""
