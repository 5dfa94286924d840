"""moto's S3 server with one request handled at a time, for tgsession's tests (started by scripts/services).

moto checks a conditional write (`If-Match`, `If-None-Match: *`) and then stores the object without a lock,
so two racing conditional writes to one key can both succeed on its threaded server, where real S3 lets
exactly one through. The tests race such writes on purpose, so this runs moto's own application on a
threaded server (connections stay concurrent and keep-alive) but lets only one request at a time into moto.

Usage: python s3-server.py HOST PORT   (with moto installed in that Python)
"""

import os
import signal
import sys
import threading

from werkzeug.serving import run_simple

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


class OneAtATime:
    """A WSGI application that runs `app` for one request at a time, its whole response included."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            response = self.app(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                close = getattr(response, "close", None)
                if close is not None:
                    close()


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    # moto routes requests to its own API by this port, as its own server sets it.
    os.environ.setdefault("MOTO_PORT", str(port))
    # Stop at once on SIGINT / SIGTERM: the objects live only in memory, and waiting for the handler threads
    # of open keep-alive connections could take as long as their clients keep them.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: os._exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, OneAtATime(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
