"""Start Redis and PostgreSQL servers as child processes on local ports, throwaway or persistent.

The public face of the modules that do it: `processes` (child servers and process helpers), `binaries` (which
programs to run), `redis_server` and `postgres_server`.
"""

from __future__ import annotations

from propos4l.shared.localrun.binaries import BINARIES_ENV, find_postgres_bindir, find_redis_server
from propos4l.shared.localrun.postgres_server import LocalPostgres
from propos4l.shared.localrun.processes import LocalServerError, die_with_parent, free_port
from propos4l.shared.localrun.redis_server import LocalRedis

__all__ = [
    "BINARIES_ENV",
    "LocalPostgres",
    "LocalRedis",
    "LocalServerError",
    "die_with_parent",
    "find_postgres_bindir",
    "find_redis_server",
    "free_port",
]
