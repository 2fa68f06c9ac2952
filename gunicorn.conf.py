"""gunicorn settings for the portal in production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Environment: HOST (0.0.0.0) and PORT (8000) to listen on, WEB_CONCURRENCY sync workers (2 × CPUs
+ 1, at most 12: each worker holds its own database connections). Anything else can be given on
the command line or in GUNICORN_CMD_ARGS, which win over this file.

The app is loaded once in the master (preload_app) and the workers are forked from it: they boot in
milliseconds and share the loaded code. The master may have used the database while loading (the
"portal started" line checks the migrations), so it closes its connections before forking, and
every worker drops whatever pooled connection it inherited: no two processes ever share one.
Tests and benchmarks that start gunicorn themselves (bench/served.py) take these hooks from here.

Logs: the access log on stdout, gunicorn's error log on stderr, where the portal's own loggers
write too (portal/logs.py: LOG_LEVEL, LOG_FORMAT).
"""
import os


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * _cpus() + 1, 12))
worker_class = "sync"
preload_app = True
# A request may take this long before its worker is killed and replaced (a 1C import step takes at
# most ONEC_STEP_SECONDS, 20 s). On SIGTERM, workers finish the requests in hand for up to
# graceful_timeout seconds before they are killed.
timeout = 60
graceful_timeout = 30
keepalive = 5

accesslog = "-"
errorlog = "-"
loglevel = "info"
# gunicorn's combined format and the time the request took, in milliseconds.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'


def _engines(app):
    from portal.extensions import db

    with app.app_context():
        return list(db.engines.values())


def _loaded_app(server_or_worker):
    """The Flask app the master preloaded, or None (no preload: each worker imports it itself)."""
    if not server_or_worker.cfg.preload_app:
        return None
    app = getattr(server_or_worker.app, "callable", None)
    return app if hasattr(app, "app_context") else None


def when_ready(server):
    """Master, before the first fork: finish the ORM's set-up once, close the master's connections."""
    app = _loaded_app(server)
    if app is None:
        return
    import sqlalchemy.orm

    sqlalchemy.orm.configure_mappers()
    for engine in _engines(app):
        engine.dispose()


def post_fork(server, worker):
    """Worker, just forked: forget every pooled connection inherited from the master (without
    closing it: that would close the master's socket under it)."""
    app = _loaded_app(server)
    if app is None:
        return
    for engine in _engines(app):
        engine.dispose(close=False)
