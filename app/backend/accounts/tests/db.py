"""Helpers for tests that need the database to be somewhere else: a port
nothing listens on, and the live connection pointed there for a while."""
import socket
from contextlib import contextmanager

from django.db import connection


def closed_port():
    """A loopback port that was free a moment ago: connections are refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@contextmanager
def database_at(port):
    """Points the live connection at 127.0.0.1:port, then restores it."""
    connection.close()
    saved = dict(connection.settings_dict)
    connection.settings_dict["HOST"] = "127.0.0.1"
    connection.settings_dict["PORT"] = str(port)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
