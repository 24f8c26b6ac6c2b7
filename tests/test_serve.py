"""`unioncat serve` as a real gunicorn in a subprocess, under idle, half-sent and kept-alive connections.

Finding 6 of issue 12: about 100 idle connections made the site unreachable
(waitress with nothing in front). Each test here talks to a real server on
127.0.0.1 over a small real catalogue (one sample library, harvested,
deduplicated and indexed by `unioncat nightly`).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import requests
import yaml
from click.testing import CliRunner

from cli import main
from tests.conftest import ROOT
from cli.server import GatheringSocket, SlowClient

UNIONCAT = str(Path(sys.executable).parent / "unioncat")
SECRET = "5e" * 32
IDLE_CONNECTIONS = 200
ANSWER_WITHIN = 10     # seconds: generous; the point is that the request is answered at all


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory) -> Path:
    """The configuration of a small catalogue: the Libris sample file, harvested, deduplicated and indexed."""
    folder = tmp_path_factory.mktemp("serve")
    data = {"store": "var/store.sqlite", "index": "var/index", "lock_file": "var/nightly.lock",
            "web": {"secret_key": SECRET},
            "sources": [{"code": "libris", "name": "Libris", "type": "file",
                         "path": [str(ROOT / "samples" / "libris" / "records.xml")]}]}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(main, ["--config", str(path), "nightly"])
    assert result.exit_code == 0, result.output
    return path


@contextmanager
def running_server(config: Path, *options: str):
    """`unioncat serve` on a free port, answering searches; stopped with SIGTERM afterwards."""
    port = free_port()
    process = subprocess.Popen([UNIONCAT, "--config", str(config), "serve", "--port", str(port), *options],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"serve exited early:\n{process.stdout.read()}"
            assert time.monotonic() < deadline, "serve did not answer within 60 s"
            try:
                if requests.get(f"{base}/api/search?q=", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        yield process, port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def server(catalogue):
    """The catalogue on `unioncat serve` with its default options: (process, port)."""
    with running_server(catalogue) as running:
        yield running


def open_connections(stack: ExitStack, port: int, count: int, first_bytes: bytes = b"") -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        sock = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=5))
        if first_bytes:
            sock.sendall(first_bytes)
        sockets.append(sock)
    return sockets


def a_search(port: int) -> requests.Response:
    return requests.get(f"http://127.0.0.1:{port}/api/search", params={"q": "art"}, timeout=ANSWER_WITHIN)


def test_finding_06_a_search_is_answered_while_200_idle_connections_are_held(server):
    _process, port = server
    with ExitStack() as stack:
        open_connections(stack, port, IDLE_CONNECTIONS)
        time.sleep(0.5)      # let the server accept them all
        response = a_search(port)
    assert response.status_code == 200
    assert response.json()["total"] > 0


def test_finding_06_a_search_is_answered_while_200_connections_have_sent_half_a_header(server):
    _process, port = server
    with ExitStack() as stack:
        open_connections(stack, port, IDLE_CONNECTIONS, b"GET /api/search?q=art HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(0.5)
        response = a_search(port)
    assert response.status_code == 200
    assert response.json()["total"] > 0


def test_a_header_sent_in_pieces_with_pauses_is_answered(server):
    _process, port = server
    pieces = [b"GET /api/search?q=art HTT", b"P/1.1\r\nHost: 127.0.0.1\r\n", b"Connection: close\r\n", b"\r\n"]
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_WITHIN) as sock:
        for piece in pieces:
            sock.sendall(piece)
            time.sleep(0.3)
        answer = receive_all(sock)
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
    assert b'"total"' in answer


def test_one_kept_alive_connection_answers_several_requests_in_turn(server):
    _process, port = server
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_WITHIN) as sock, sock.makefile("rb") as stream:
        for query in ("art", "crisis", "history"):
            sock.sendall(f"GET /api/search?q={query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            head = read_head(stream)
            assert head.startswith(b"HTTP/1.1 200 "), head
            assert b"connection: close" not in head.lower()


def test_a_request_line_over_the_limit_is_refused_and_the_server_goes_on(server):
    _process, port = server
    refused = requests.get(f"http://127.0.0.1:{port}/api/search", params={"q": "a" * 9000}, timeout=ANSWER_WITHIN)
    assert refused.status_code == 414
    assert a_search(port).status_code == 200


def test_serve_runs_the_workers_asked_for_and_closes_idle_connections_after_the_keepalive(catalogue):
    with running_server(catalogue, "--workers", "2", "--keepalive", "1") as (process, port):
        assert len(child_processes(process.pid)) == 2
        with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_WITHIN) as idle:
            assert idle.recv(1) == b""      # closed by the server, not by the timeout (which would raise)
        assert a_search(port).status_code == 200
    assert process.returncode == 0, process.stdout.read()


def child_processes(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(c) for c in (task / "children").read_text().split()]
    return children


def receive_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def read_head(stream) -> bytes:
    """One response from a kept-alive connection's stream (`sock.makefile("rb")`): its head; its body is read past."""
    lines = []
    while (line := stream.readline()) not in (b"\r\n", b""):
        lines.append(line)
    assert lines, "the server closed the connection before answering"
    head = b"".join(lines)
    length = next(int(line.split(b":")[1]) for line in lines if line.lower().startswith(b"content-length:"))
    assert len(stream.read(length)) == length, "the server closed the connection in the middle of an answer"
    return head


def test_a_client_trickling_its_request_loses_its_thread_after_the_read_timeout():
    server_end, client_end = socket.socketpair()
    stop = threading.Event()

    def trickle():
        while not stop.wait(0.05):
            client_end.sendall(b"x")

    sender = threading.Thread(target=trickle)
    sender.start()
    try:
        sock = GatheringSocket.adopt(server_end, read_timeout=0.5)
        sock.setblocking(True)      # what gunicorn does when a thread takes the connection
        received = b""
        with pytest.raises(SlowClient):
            while len(received) < 100:      # 5 s of trickling: a deadline per read alone would let it all in
                received += sock.recv(1)
        assert len(received) < 100
    finally:
        stop.set()
        sender.join()
        client_end.close()
        server_end.close()


def test_bytes_gathered_by_the_event_loop_are_read_first_and_a_whole_header_hands_over():
    server_end, client_end = socket.socketpair()
    with server_end, client_end:
        sock = GatheringSocket.adopt(server_end, read_timeout=5)
        sock.setblocking(False)
        client_end.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        time.sleep(0.05)
        assert sock.gather() is False       # half a header: stays with the event loop
        client_end.sendall(b"\r\n")
        time.sleep(0.05)
        assert sock.gather() is True
        sock.setblocking(True)
        assert sock.recv(65536) == b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


def test_serve_on_an_address_in_use_says_so_and_exits_1(catalogue):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["--config", str(catalogue), "serve", "--port", str(port)])
    assert result.exit_code == 1, result.output
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.output
    assert "Traceback" not in result.output


def test_two_requests_sent_at_once_on_one_connection_are_both_answered(server):
    _process, port = server
    first = b"GET /api/search?q=art HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: "
    first += b"p" * (8192 - len(first) - 4) + b"\r\n\r\n"     # one whole read of gunicorn's parser, to the byte
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_WITHIN) as sock, sock.makefile("rb") as stream:
        sock.sendall(first + b"GET /api/search?q=crisis HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert read_head(stream).startswith(b"HTTP/1.1 200 ")
        assert read_head(stream).startswith(b"HTTP/1.1 200 ")
