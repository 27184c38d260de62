"""gunicorn settings for the backend (image and end-to-end test alike)."""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count() * 2 + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Only nginx reaches this port (it is never published), so the scheme it
# reports in X-Forwarded-Proto is trusted.
forwarded_allow_ips = "*"
accesslog = "-"
errorlog = "-"
access_log_format = (
    '%(h)s "%(r)s" %(s)s %(b)s %(L)ss host="%({host}i)s" '
    'xff="%({x-forwarded-for}i)s" proto="%({x-forwarded-proto}i)s"'
)
