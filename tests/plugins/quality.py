"""Shared pytest fixtures of the quality area (registered in tests/conftest.py).

- `postgres_server`: a real PostgreSQL started from the Debian binaries (initdb + pg_ctl) on a free
  loopback port in a temporary folder, stopped and removed at the end of the session. Skips cleanly
  when the binaries are absent. As root, the server runs as the `postgres` user.
- `postgres_world`: the small world's two instances loaded into two databases of that server.
- `duckdb_world`: the small world's two instances copied into two DuckDB files.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import shlex
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from oncall.world.schema import TABLES

INSTANCES = ("olist_source", "olist_dirty")


@dataclass(frozen=True)
class PostgresServer:
    """A running PostgreSQL on loopback."""

    host: str
    port: int
    user: str

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL of a database on this server (psycopg 3)."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(argv: list[str], user: str | None) -> list[str]:
    # initdb refuses to run as root: hand the command to the server's own user.
    if not user:
        return argv
    if shutil.which("runuser"):
        return ["runuser", "-u", user, "--", *argv]
    return ["su", user, "-c", shlex.join(argv)]


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr or done.stdout}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server for the whole session (trust auth, loopback only)."""
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL binaries not found under /usr/lib/postgresql/*/bin (apt install postgresql)")
    run_as = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the server as")
        run_as = "postgres"
    # Not under pytest's tmp dir: that is private to root and the server user could not enter it.
    root = Path(tempfile.mkdtemp(prefix="oncall-pg-"))
    data, sockets, log = root / "data", root / "sock", root / "server.log"
    sockets.mkdir()
    if run_as:
        for path in (root, sockets):
            shutil.chown(path, user=run_as, group=run_as)
    port = _free_port()
    try:
        _run(
            _as_server_user(
                [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"], run_as
            )
        )
        options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        start = [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"]
        _run(_as_server_user(start, run_as))
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"could not start PostgreSQL: {exc}")
    try:
        yield PostgresServer("127.0.0.1", port, "postgres")
    finally:
        stop = [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
        subprocess.run(_as_server_user(stop, run_as), capture_output=True, timeout=60, check=False)
        shutil.rmtree(root, ignore_errors=True)


def _load_postgres(server: PostgresServer, database: str, sqlite_db: Path) -> None:
    import psycopg

    with psycopg.connect(server.url().replace("+psycopg", ""), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
        admin.execute(f'CREATE DATABASE "{database}"')
    url = server.url(database).replace("+psycopg", "")
    with psycopg.connect(url) as conn, contextlib.closing(sqlite3.connect(sqlite_db)) as src:
        for table in TABLES:
            cols = ", ".join(f'"{c}" TEXT' for c in table.columns)
            conn.execute(f"CREATE TABLE {table.name} ({cols})")
            with conn.cursor().copy(f"COPY {table.name} FROM STDIN") as copy:
                for row in src.execute(f"SELECT * FROM {table.name}"):
                    copy.write_row(row)


@pytest.fixture(scope="session")
def postgres_world(postgres_server: PostgresServer, small_world: Path) -> dict[str, str]:
    """{instance: SQLAlchemy URL} of the small world's instances loaded into PostgreSQL (TEXT columns)."""
    for instance in INSTANCES:
        _load_postgres(postgres_server, instance, small_world / f"{instance}.db")
    return {instance: postgres_server.url(instance) for instance in INSTANCES}


def copy_to_duckdb(sqlite_db: Path, target: Path) -> None:
    """Copy the 9 world tables into a new DuckDB file, keeping NULL apart from '' (via NDJSON)."""
    import duckdb

    with (
        contextlib.closing(sqlite3.connect(sqlite_db)) as src,
        contextlib.closing(duckdb.connect(str(target))) as dst,
    ):
        for table in TABLES:
            dump = target.with_name(f"{target.stem}.{table.name}.ndjson")
            with dump.open("w", encoding="utf-8") as out:
                for row in src.execute(f"SELECT * FROM {table.name}"):
                    out.write(json.dumps(dict(zip(table.columns, row, strict=True))) + "\n")
            columns = ", ".join(f"'{c}': 'VARCHAR'" for c in table.columns)
            dst.execute(
                f"CREATE TABLE {table.name} AS SELECT * FROM "
                f"read_json('{dump}', format = 'newline_delimited', columns = {{{columns}}})"
            )
            dump.unlink()


@pytest.fixture(scope="session")
def duckdb_world(small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """{instance: SQLAlchemy URL} of the small world's instances copied into DuckDB files."""
    folder = tmp_path_factory.mktemp("duckdb_world")
    urls = {}
    for instance in INSTANCES:
        target = folder / f"{instance}.duckdb"
        copy_to_duckdb(small_world / f"{instance}.db", target)
        urls[instance] = f"duckdb:///{target}"
    return urls
