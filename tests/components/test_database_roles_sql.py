"""The roles SQL, run for real: a throwaway PostgreSQL server (Debian's postgresql package,
installed by .ci/run) set up like RDS -- the master login is *not* a superuser but a
CREATEROLE/CREATEDB member of ``rds_superuser``, which holds ``pg_monitor`` and
``pg_read_all_data`` with ADMIN OPTION -- takes the exact script the db-roles Job runs, with
SCRAM verifiers in the password files, twice; then each login is held to what it may and may
not do. (Debian 12 ships PostgreSQL 15; the script also follows PostgreSQL 16's stricter
CREATEROLE rules, which this server cannot enforce.)"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.database_roles import roles_sql, scram_verifier

BIN = next((p for p in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)
ROLES = {
    "app_api": "app",
    "app_worker": "app",
    "platform_monitoring": "monitoring",
    "platform_backup": "backup",
}
MASTER = "platform_admin"
pytestmark = pytest.mark.skipif(
    BIN is None or shutil.which("psql") is None or shutil.which("runuser") is None,
    reason="PostgreSQL server binaries not installed (apt install postgresql)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = _free_port()
        self.passwords = root / "roles"

    def psql(self, user: str, password: str, sql: str | None = None, file: Path | None = None,
             database: str = "app") -> subprocess.CompletedProcess[str]:  # fmt: skip
        args = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(self.root),
                "-p", str(self.port), "-U", user, "-d", database, "-At"]  # fmt: skip
        args += ["-f", str(file)] if file else ["-c", sql or ""]
        env = {**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "30"}
        result = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
        if (
            "could not connect" in result.stderr
            or "the database system is starting up" in result.stderr
        ):
            time.sleep(2)  # a loaded machine (the suite runs on every core): try once more
            result = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
        return result

    def set_passwords(self, suffix: str) -> dict[str, str]:
        self.passwords.mkdir(exist_ok=True)
        chosen = {role: f"sekret{suffix}{role.replace('_', '')}" for role in ROLES}
        for role, password in chosen.items():
            # what the Job mounts: the verifier, never the password
            (self.passwords / role).write_text(scram_verifier(password))
        return chosen


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    # not pytest's tmp_path: its parents are private to this user, and initdb refuses root
    root = Path(tempfile.mkdtemp(prefix="pg-roles-"))
    root.chmod(0o777)
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    data = root / "data"
    (root / "master").write_text("master-secret")
    (root / "master").chmod(0o644)
    subprocess.run([*as_postgres, str(BIN / "initdb"), "-D", str(data), "-U", "rdsadmin",
                    "--auth=scram-sha-256", f"--pwfile={root / 'master'}"],
                   check=True, capture_output=True)  # fmt: skip
    srv = Server(root)
    subprocess.run([*as_postgres, str(BIN / "pg_ctl"), "-D", str(data), "-w", "-t", "120", "-l",
                    str(root / "log"), "-o", f"-k {root} -p {srv.port} -c listen_addresses=''",
                    "start"], check=True, capture_output=True)  # fmt: skip
    try:
        rds_like = (
            "CREATE ROLE rds_superuser NOLOGIN; "
            "GRANT pg_monitor, pg_read_all_data TO rds_superuser WITH ADMIN OPTION; "
            f"CREATE ROLE {MASTER} LOGIN CREATEROLE CREATEDB PASSWORD 'master-secret' "
            "IN ROLE rds_superuser; "
            f"CREATE DATABASE app OWNER {MASTER};"
        )
        for statement in rds_like.split("; "):
            created = srv.psql("rdsadmin", "master-secret", statement, database="postgres")
            assert created.returncode == 0, created.stderr
        yield srv
    finally:
        subprocess.run([*as_postgres, str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], capture_output=True, check=False)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


def _apply(server: Server) -> None:
    script = server.root / "roles.sql"
    script.write_text(roles_sql("app", ROLES, str(server.passwords)))
    result = server.psql(MASTER, "master-secret", file=script)
    assert result.returncode == 0, result.stderr
    assert "sekret" not in result.stdout + result.stderr  # passwords never echoed


def test_roles_apply_twice_and_each_login_can_exactly_what_it_needs(server: Server) -> None:
    pw = server.set_passwords("a")
    _apply(server)
    _apply(server)  # idempotent: a re-run (every deploy that changes roles) changes nothing

    def ok(role: str, sql: str) -> str:
        result = server.psql(role, pw[role], sql)
        assert result.returncode == 0, (role, sql, result.stderr)
        return result.stdout.strip()

    def denied(role: str, sql: str) -> None:
        result = server.psql(role, pw[role], sql)
        assert result.returncode != 0, (role, sql)
        assert "permission denied" in result.stderr, result.stderr

    # the api migrates: its tables are usable by the other app roles (default privileges)
    ok("app_api", "CREATE TABLE orders (id serial PRIMARY KEY, note text)")
    ok("app_api", "INSERT INTO orders (note) VALUES ('from api')")
    ok("app_worker", "INSERT INTO orders (note) VALUES ('from worker')")
    assert ok("app_worker", "SELECT count(*) FROM orders") == "2"
    # backups read everything, write nothing
    assert ok("platform_backup", "SELECT count(*) FROM orders") == "2"
    denied("platform_backup", "INSERT INTO orders (note) VALUES ('no')")
    # the exporter sees statistics, not data
    ok("platform_monitoring", "SELECT count(*) FROM pg_stat_activity")
    denied("platform_monitoring", "SELECT count(*) FROM orders")
    # nobody but the master manages roles
    denied("app_api", "CREATE ROLE intruder")
    # migrations that run as app_owner leave tables every app role can alter later
    ok("app_api", "SET ROLE app_owner; CREATE TABLE shared (id int)")
    ok("app_worker", "SET ROLE app_owner; ALTER TABLE shared ADD COLUMN note text")
    ok("app_worker", "INSERT INTO shared VALUES (1, 'x')")
    assert ok("platform_backup", "SELECT count(*) FROM shared") == "1"


def test_a_rotation_replaces_every_password(server: Server) -> None:
    old = server.set_passwords("b")
    _apply(server)
    new = server.set_passwords("c")
    _apply(server)
    for role in ROLES:
        assert server.psql(role, new[role], "SELECT 1").returncode == 0
        refused = server.psql(role, old[role], "SELECT 1")
        assert refused.returncode != 0
        assert "password authentication failed" in refused.stderr
