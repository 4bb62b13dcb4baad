"""Throwaway and local Redis and PostgreSQL servers run as child processes, for tests and `make run`."""
