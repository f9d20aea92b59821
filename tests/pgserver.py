"""A throwaway PostgreSQL server for the tests, started from the machine's own binaries.

PostgreSQL refuses to run as root, and tests run as root here and in CI: the server then runs as
`nobody`, in a data and socket directory that user owns, on a free TCP port of 127.0.0.1. It is
stopped (pg_ctl stop) when the session ends, and by atexit should the session die before that.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

UNPRIVILEGED_USER = "nobody"


def find_binaries() -> Path | None:
    """The directory holding initdb and pg_ctl: on PATH, in /usr/local/bin or in Debian's versioned path."""
    candidates = [os.path.dirname(p) for p in (shutil.which("initdb"), shutil.which("pg_ctl")) if p]
    candidates += ["/usr/local/bin", *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for directory in candidates:
        if all(os.access(os.path.join(directory, b), os.X_OK) for b in ("initdb", "pg_ctl", "postgres")):
            return Path(directory)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="animerec-pg-"))
        self.data = self.root / "data"
        self.port = 0
        self._as_user: list[str] = []
        self._started = False
        self._databases = 0

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*self._as_user, *args], capture_output=True, text=True, timeout=60, cwd=self.root)

    def start(self) -> PostgresServer:
        if os.geteuid() == 0:
            user = pwd.getpwnam(UNPRIVILEGED_USER)
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._as_user = (["runuser", "-u", UNPRIVILEGED_USER, "--"] if shutil.which("runuser") else
                             ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"])
        init = self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                         "-E", "UTF8", "--locale=C", "--no-sync")
        if init.returncode:
            raise RuntimeError(f"initdb failed: {init.stderr.strip() or init.stdout.strip()}")
        atexit.register(self.stop)
        for _ in range(5):  # another process may take the free port first
            self.port = _free_port()
            options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                       "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
            started = self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options,
                                "-l", str(self.root / "server.log"), "-w", "-t", "30", "start")
            if started.returncode == 0:
                self._started = True
                return self
        log = (self.root / "server.log").read_text(errors="replace")[-2000:] if (self.root / "server.log").exists() else ""
        self.stop()
        raise RuntimeError(f"pg_ctl start failed: {started.stderr.strip()}\n{log}")

    def stop(self) -> None:
        if self._started:
            self._started = False
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        with contextlib.suppress(OSError):
            shutil.rmtree(self.root)

    @property
    def running(self) -> bool:
        return self._started

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    async def create_database(self) -> str:
        """A fresh empty database; its URL."""
        import asyncpg

        self._databases += 1
        name = f"animerec_test_{self._databases}"
        conn = await asyncpg.connect(self.url())
        try:
            await conn.execute(f"CREATE DATABASE {name}")
        finally:
            await conn.close()
        return self.url(name)

    async def drop_database(self, url: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.url())
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")
        finally:
            await conn.close()
