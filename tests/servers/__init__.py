"""Real servers for the tests that need them (tests/test_production.py, test_client_identity.py,
test_cache_outage.py, test_scale_out.py, test_sqlite_concurrency.py …), one module each: a
throwaway PostgreSQL cluster (postgres.py), a redis-server (redis.py), gunicorn serving the app
(gunicorn.py), nginx as a reverse proxy in front of it (nginx.py), `make run` as a newcomer
starts it (make_run.py) and a web site in a thread for the link checks (link_targets.py), each
on loopback and a free port, with bounded waits and cleanup that always runs (process groups
killed, temporary folders removed; common.py); and the HTTP clients every test uses
(clients.py): `fetch`, and `Visitor`, which keeps cookies, logs in to the admin, posts forms
and JSON.

Everything is importable from here: `from .servers import Gunicorn, Visitor`."""

from .clients import FormFields, Reply, Visitor, fetch, form_fields
from .common import (
    ACCESS_LOG_LINE,
    BASE_DIR,
    HOST,
    LOG_RECORD_LINE,
    PYTHON,
    base_env,
    collect_static,
    free_port,
    manage,
    production_env,
    require,
    secret_key,
    stop_process_group,
    tail,
    wait_until,
)
from .gunicorn import Gunicorn
from .link_targets import LinkTargets
from .make_run import MakeRun
from .nginx import NGINX_CONF, Nginx
from .postgres import PostgresCluster, postgres_bin
from .redis import RedisServer

__all__ = [
    "ACCESS_LOG_LINE",
    "BASE_DIR",
    "HOST",
    "LOG_RECORD_LINE",
    "NGINX_CONF",
    "PYTHON",
    "FormFields",
    "Gunicorn",
    "LinkTargets",
    "MakeRun",
    "Nginx",
    "PostgresCluster",
    "RedisServer",
    "Reply",
    "Visitor",
    "base_env",
    "collect_static",
    "fetch",
    "form_fields",
    "free_port",
    "manage",
    "postgres_bin",
    "production_env",
    "require",
    "secret_key",
    "stop_process_group",
    "tail",
    "wait_until",
]
