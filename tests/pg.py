"""A throwaway PostgreSQL server for the test suite: Debian's binaries, a free port, a temporary folder.

initdb and pg_ctl refuse to run as root (CI runs as root), so as root they run as
the unprivileged `postgres` user that Debian's package creates; the folder is
handed to that user. The server listens on 127.0.0.1 only, trusts local
connections (nothing but the suite can reach it) and trades durability for
speed (fsync off): it lives for one test session and is deleted afterwards.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

USER = "unioncat"                 # the database superuser initdb creates
TEMPLATE = "unioncat_template"    # migrated once per session, cloned per test
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1", "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
    "max_connections": "200", "shared_buffers": "64MB",
}


class PostgresUnavailable(Exception):
    """The test server could not be installed, initialised or started (the message says why)."""


def binaries() -> Path:
    """The folder of Debian's PostgreSQL programs (the highest version installed)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise PostgresUnavailable("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): "
                              "`make test` installs Debian's postgresql; or run `apt-get install postgresql`")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """One PostgreSQL server in a temporary folder, started and stopped by the suite."""

    def __init__(self):
        self.bin = binaries()
        self._owner = _unprivileged_owner()
        self.folder = Path(tempfile.mkdtemp(prefix="unioncat-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = 0
        self._numbers = itertools.count(1)
        self._watchdog: subprocess.Popen | None = None
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-postgresql")
        self._upcoming: Future | None = None

    def start(self) -> "PostgresServer":
        """initdb, then pg_ctl start on a free port; `PostgresUnavailable` with the reason on failure
        (and the folder deleted)."""
        try:
            return self._start()
        except PostgresUnavailable:
            self.stop()
            raise

    def _start(self) -> "PostgresServer":
        if self._owner is not None:
            os.chown(self.folder, self._owner.pw_uid, self._owner.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8",
                  "--no-sync")
        for attempt in range(3):   # another process may take the free port between probe and start
            self.port = free_port()
            options = f"-p {self.port} -k {self.folder} " + " ".join(f"-c {k}={v}" for k, v in SERVER_SETTINGS.items())
            try:
                self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")
                break
            except PostgresUnavailable:
                if attempt == 2:
                    raise
        self._watchdog = self._watch_this_process()
        return self

    def _watch_this_process(self) -> subprocess.Popen:
        """A watchdog that stops the server and deletes its folder should this process die without
        cleaning up (SIGKILL, SIGTERM): the server is a daemon and would otherwise outlive it."""
        stop = shlex.join(self._command("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"))
        script = (f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
                  f"{stop} >/dev/null 2>&1; rm -rf {shlex.quote(str(self.folder))}")
        return subprocess.Popen(["sh", "-c", script], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)

    def stop(self) -> None:
        """Stop the server at once and delete its folder."""
        self._background.shutdown(wait=True, cancel_futures=True)
        if self._watchdog is not None:
            self._watchdog.kill()
            self._watchdog.wait()
        if self.data.exists():
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            except PostgresUnavailable:
                pass    # it was never started or has already gone; the folder goes either way
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of a database on this server."""
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE need that)."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=USER, dbname="postgres", autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self, template: str | None = TEMPLATE) -> str:
        """A new database (a copy of `template`, or empty); returns its name."""
        name = f"t_{os.getpid()}_{next(self._numbers)}"
        clause = f" TEMPLATE {template}" if template else ""
        self.execute(f"CREATE DATABASE {name}{clause}")
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, closing whatever connections a test left open on it."""
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def fresh_database(self) -> str:
        """A new copy of the migrated template, cloned while the previous test ran, so no test waits for one."""
        upcoming = self._upcoming or self._background.submit(self.create_database)
        self._upcoming = self._background.submit(self.create_database)
        return upcoming.result()

    def discard_database(self, name: str) -> None:
        """Drop a test's database in the background (whatever is left goes with the server)."""
        self._background.submit(self.drop_database, name)

    def _command(self, program: str, *args: str) -> list[str]:
        command = [str(self.bin / program), *args]
        if self._owner is not None:
            command = ["runuser", "-u", self._owner.pw_name, "--", *command]
        return command

    def _run(self, program: str, *args: str) -> None:
        command = self._command(program, *args)
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.folder)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PostgresUnavailable(f"{program} could not run: {exc}") from exc
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise PostgresUnavailable(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}{log}")


def _unprivileged_owner() -> pwd.struct_passwd | None:
    """The user the server runs as when the suite runs as root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError as exc:
        raise PostgresUnavailable("running as root needs the unprivileged `postgres` user that Debian's "
                                  "postgresql package creates: `apt-get install postgresql`") from exc
