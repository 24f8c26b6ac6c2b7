"""The WSGI servers that run the web app: gunicorn for `unioncat serve`, waitress for the demo; the only user of either.

`serve` runs gunicorn's threaded (gthread) workers, one process per core by
default, with a worker class that keeps clients that send nothing, or only
part of a request header, out of the thread pool: their bytes are gathered
by the worker's event loop, and a thread is taken only once a whole header
has arrived. Stock gthread hands each new connection to a thread at once;
200 idle or half-sent connections then queued every later request for a
minute or more (measured with gunicorn 27, two workers of eight threads).
"""

from __future__ import annotations

import os
import selectors
import socket
import time
from dataclasses import dataclass
from functools import partial
from typing import Callable

from gunicorn.app.base import BaseApplication
from gunicorn.http.errors import NoMoreData
from gunicorn.workers.gthread import TConn, ThreadWorker

# A request's header is handed to a thread when it ends, or when it is this long (the parser then refuses it)
HEADER_GATHER_LIMIT = 64 * 1024
HEADER_ENDS = (b"\r\n\r\n", b"\n\n")


@dataclass(frozen=True)
class ServeOptions:
    """How `unioncat serve` runs gunicorn."""

    host: str = "127.0.0.1"
    port: int = 5000
    workers: int = os.cpu_count() or 1
    threads: int = 8
    connections: int = 1000     # per worker: open connections, idle ones included
    keepalive: int = 5          # seconds an idle connection, or one still sending its header, is kept
    read_timeout: int = 10      # seconds a thread waits for the rest of a request (its body) and for a response write
    timeout: int = 30           # seconds a worker may stay silent before the master replaces it
    graceful_timeout: int = 30  # seconds a stopping worker has to finish the requests it holds


class ServeError(Exception):
    """The server cannot start (its address is taken or cannot be had)."""


class SlowClient(NoMoreData):
    """The client did not send its request within the read timeout (gunicorn drops it as a client gone away)."""


class GatheringSocket(socket.socket):
    """A client socket whose early bytes are read by the event loop, and whose blocking reads have a deadline.

    gunicorn switches the socket to blocking mode when a thread takes the
    connection; from then on the thread has `read_timeout` seconds in all to
    read what it still needs, so a client trickling a body cannot hold it.
    """

    read_timeout: float = 10.0

    @classmethod
    def adopt(cls, sock: socket.socket, read_timeout: float) -> "GatheringSocket":
        adopted = cls(sock.family, sock.type, sock.proto, fileno=sock.detach())
        adopted.read_timeout = read_timeout
        adopted.early = bytearray()
        adopted.deadline = None
        return adopted

    def setblocking(self, flag: bool) -> None:
        if flag:
            self.deadline = time.monotonic() + self.read_timeout
            super().settimeout(self.read_timeout)
        else:
            self.deadline = None
            super().setblocking(False)

    def settimeout(self, value) -> None:
        # gunicorn's own bounded reads (draining a body, a graceful close) set their timeout: it rules
        self.deadline = None
        super().settimeout(value)

    def gather(self) -> bool:
        """Read what has arrived without waiting; True once a thread should take over."""
        try:
            chunk = super().recv(HEADER_GATHER_LIMIT)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True                 # the thread meets the same error and closes the connection
        if not chunk:
            return True                 # the client closed: the thread sees the end and closes too
        self.early += chunk
        return self.holds_header()

    def holds_header(self) -> bool:
        """Whether the gathered bytes hold a whole header (or as much as a header may be)."""
        return any(end in self.early for end in HEADER_ENDS) or len(self.early) >= HEADER_GATHER_LIMIT

    def recv(self, size: int, *flags) -> bytes:
        if self.early:
            taken = bytes(self.early[:size])
            del self.early[:size]
            return taken
        if self.deadline is None:
            return super().recv(size, *flags)
        remaining = self.deadline - time.monotonic()
        if remaining > 0:
            super().settimeout(remaining)
            try:
                return super().recv(size, *flags)
            except TimeoutError:
                pass
        raise SlowClient(f"no complete request within {self.read_timeout:g}s")


class GatheringThreadWorker(ThreadWorker):
    """gunicorn's gthread worker; a connection reaches a thread only with a complete request header.

    New connections are parked in the event loop (gunicorn's own "pending"
    list, closed after `keepalive` seconds without a complete header) instead
    of each waiting up to 5 s in a thread for its first byte; kept-alive
    connections gather their next header the same way.
    """

    read_timeout: float = ServeOptions.read_timeout      # `gunicorn_settings` makes a subclass with the chosen one

    def accept(self, listener) -> None:
        try:
            client, address = listener.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, GatheringSocket.adopt(client, self.read_timeout), address, listener.getsockname())
        conn.timeout = time.monotonic() + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn))

    def on_pending_socket_readable(self, conn, client) -> None:
        if conn.sock.gather():
            super().on_pending_socket_readable(conn, client)

    def on_client_socket_readable(self, conn, client) -> None:
        if conn.sock.gather():
            super().on_client_socket_readable(conn, client)

    def finish_request(self, conn, fs) -> None:
        super().finish_request(conn, fs)
        # A client may send its next request with the last (pipelining): if the parser left it
        # all in the gathered bytes, the socket will never be readable for it again
        if conn.sock.early and conn.sock.holds_header() and conn in self.keepalived_conns:
            self.poller.unregister(conn.sock)
            self.keepalived_conns.remove(conn)
            self.enqueue_req(conn)


class _Application(BaseApplication):
    """gunicorn configured in code; each worker makes its own Flask app (see `serve`)."""

    def __init__(self, make_app: Callable, settings: dict):
        self._make_app = make_app
        self._settings = settings
        super().__init__()

    def load_config(self) -> None:
        for name, value in self._settings.items():
            if name in self.cfg.settings:      # settings a gunicorn of the declared range may lack
                self.cfg.set(name, value)

    def load(self):
        return self._make_app()


def gunicorn_settings(options: ServeOptions) -> dict:
    """The gunicorn settings for `options`."""
    host = f"[{options.host}]" if ":" in options.host else options.host
    return {
        "bind": [f"{host}:{options.port}"],
        "workers": options.workers,
        "worker_class": type("GatheringThreadWorker", (GatheringThreadWorker,), {"read_timeout": options.read_timeout}),
        "threads": options.threads,
        "worker_connections": options.connections,
        "keepalive": options.keepalive,
        "timeout": options.timeout,
        "graceful_timeout": options.graceful_timeout,
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        "limit_request_field_size": 8190,
        # Off: each worker runs create_app itself after the fork. The app opens SQLite
        # connections and starts a thread that opens the index snapshot; neither may cross
        # a fork (the thread does not exist in the child, a lock it held stays locked, and
        # SQLite forbids sharing a connection). Each worker so opens its own snapshot; the
        # price is one snapshot's memory per worker, and a worker replaced by the master
        # starts fresh from the newest index.
        "preload_app": False,
        "proc_name": "unioncat",
        "errorlog": "-",
        "loglevel": "warning",
        # gunicorn's control socket has one default path per user: two servers would share it
        "control_socket_disable": True,
    }


def serve(make_app: Callable, options: ServeOptions, on_ready: Callable[[], None] = lambda: None) -> None:
    """Run gunicorn until it is stopped; `make_app()` is called once in every worker process.

    `on_ready()` is called once the address is listened on.
    """
    check_address(options.host, options.port)
    settings = gunicorn_settings(options) | {"when_ready": lambda _arbiter: on_ready()}
    _Application(make_app, settings).run()


def check_address(host: str, port: int) -> None:
    """`ServeError` now when the address cannot be listened on (gunicorn would retry for seconds, then exit)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)     # as gunicorn binds
            probe.bind(infos[0][4])
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


def serve_waitress(app, host: str, port: int, threads: int) -> None:
    """Run the demo's single-process server (waitress) until interrupted."""
    import waitress

    waitress.serve(app, host=host, port=port, threads=threads, ident="unioncat")
