"""Serving a WSGI app over real sockets: in a background thread or in the foreground.

Built on :mod:`wsgiref.simple_server` with one thread per request, so a
slow response (a fault under test) does not hold up the next request. The
request handler logs through :mod:`logging` instead of writing to stderr,
and honours :class:`~oaiserver.errors.DropConnection` by closing the
socket without sending a byte.
"""

from __future__ import annotations

import logging
import sys
import threading
from socketserver import ThreadingMixIn
from wsgiref.handlers import BaseHandler
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer, make_server

from oaiserver.errors import DropConnection

DEFAULT_HOST = "127.0.0.1"
OAI_PATH = "/oai"
_MAX_REQUEST_LINE = 65536

logger = logging.getLogger(__name__)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """A WSGI server answering each request in its own daemon thread."""

    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        logger.exception("error while serving %s", client_address)


class _LoggingServerHandler(ServerHandler):
    """wsgiref's handler, logging errors and able to drop a connection."""

    def handle_error(self):
        if isinstance(sys.exc_info()[1], DropConnection):
            logger.info('"%s" dropped without a response', self.request_handler.requestline)
            BaseHandler.close(self)  # ServerHandler.close would log a status never sent
            return
        super().handle_error()

    def log_exception(self, exc_info):
        logger.error("WSGI application error", exc_info=exc_info)


class _RequestHandler(WSGIRequestHandler):
    """wsgiref's request handler with logging and the handler above."""

    def handle(self):
        self.raw_requestline = self.rfile.readline(_MAX_REQUEST_LINE + 1)
        if len(self.raw_requestline) > _MAX_REQUEST_LINE:
            self.requestline = self.request_version = self.command = ""
            self.send_error(414)
            return
        if not self.parse_request():
            return
        handler = _LoggingServerHandler(
            self.rfile, self.wfile, sys.stderr, self.get_environ(), multithread=True
        )
        handler.request_handler = self
        handler.run(self.server.get_app())

    def log_message(self, format, *args):  # noqa: A002 - the name http.server uses
        logger.info("%s %s", self.address_string(), format % args)


class RunningServer:
    """A server answering in a background thread until :meth:`stop` is called.

    ``url`` is the OAI-PMH base URL (``http://127.0.0.1:PORT/oai``); the app
    answers on every path, so the path is only a convention.
    """

    def __init__(self, server: WSGIServer, thread: threading.Thread, path: str = OAI_PATH):
        self._server = server
        self._thread = thread
        self.host, self.port = server.server_address[:2]
        self.url = f"http://{self.host}:{self.port}{path}"

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting requests, close the socket and wait for the thread."""
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<RunningServer {self.url}>"


def serve_in_thread(app, host: str = DEFAULT_HOST, port: int = 0) -> RunningServer:
    """Start serving *app* on *host*:*port* in a daemon thread; port 0 picks a free one."""
    server = _make_server(app, host, port)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05},
        name=f"oaiserver:{server.server_address[1]}", daemon=True,
    )
    thread.start()
    return RunningServer(server, thread)


def serve_forever(app, host: str = DEFAULT_HOST, port: int = 8000) -> None:
    """Serve *app* in the foreground until interrupted (Ctrl-C)."""
    with _make_server(app, host, port) as server:
        logger.info("serving OAI-PMH on http://%s:%d%s", host, server.server_address[1], OAI_PATH)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            logger.info("stopped")


def _make_server(app, host: str, port: int) -> WSGIServer:
    return make_server(host, port, app, server_class=_ThreadingWSGIServer, handler_class=_RequestHandler)
