"""Shared helpers for the durability scripts (crash-harness, resend-check, disk-full).

Python 3 standard library only. The scripts drive the real `liandong` binary: its command line
for setup and checks, `liandong serve` for HTTP, and read the SQLite file with the sqlite3 module
(read-only) once the server has stopped.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHINA = _dt.timezone(_dt.timedelta(hours=8))


class CheckFailed(Exception):
    """A durability property does not hold."""


def log(message: str) -> None:
    print(message, flush=True)


def find_binary(explicit: str | None = None) -> str:
    """--liandong PATH, else $LIANDONG_BIN, else the newest build in the repository."""
    for candidate in (explicit, os.environ.get("LIANDONG_BIN")):
        if candidate:
            if not os.access(candidate, os.X_OK):
                sys.exit(f"liandong binary not executable: {candidate}")
            return os.path.abspath(candidate)
    found = [p for p in (REPO / ".build-release/release/liandong", REPO / ".build/release/liandong",
                         REPO / ".build/debug/liandong") if os.access(p, os.X_OK)]
    if not found:
        sys.exit("no liandong binary: build one (swift build --product liandong) or pass --liandong PATH / LIANDONG_BIN")
    return str(max(found, key=lambda p: p.stat().st_mtime))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(db: str | os.PathLike) -> dict:
    env = dict(os.environ)
    env["DATABASE_URL"] = str(db)
    env.setdefault("LOG_LEVEL", "warning")
    return env


def cli(binary: str, db, *args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
    """Runs `liandong ARGS` on the database; with check, a non-zero exit is a failure."""
    proc = subprocess.run([binary, *args], env=env_for(db), capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise CheckFailed(f"liandong {' '.join(args)} exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
    return proc


def issue_token(binary: str, db, name: str, scopes: str) -> str:
    """Creates (and on a fresh file, migrates and seeds) the database and returns a bearer token."""
    out = cli(binary, db, "tokens", "issue", "--name", name, "--scope", scopes).stdout
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    if not lines:
        raise CheckFailed("tokens issue printed no token")
    return lines[-1]


def audit_verify(binary: str, db) -> str:
    proc = cli(binary, db, "audit", "verify", check=False)
    if proc.returncode != 0:
        raise CheckFailed(f"liandong audit verify failed ({proc.returncode}): {proc.stderr.strip()} {proc.stdout.strip()}")
    return proc.stdout.strip()


# --- HTTP ---------------------------------------------------------------------------------------

class NotDelivered(Exception):
    """The connection was refused: the server never saw the request."""


class NoAnswer(Exception):
    """The request may have reached the server, but no complete response came back."""


def request(port: int, method: str, path: str, body=None, token: str | None = None,
            timeout: float = 60, headers: dict | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    hdrs = {"Accept": "application/json"}
    if token:
        hdrs["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        hdrs["Content-Type"] = "application/json"
    hdrs.update(headers or {})
    try:
        try:
            conn.connect()
        except (ConnectionRefusedError, ConnectionResetError, socket.timeout, OSError) as e:
            raise NotDelivered(str(e)) from e
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            return resp.status, resp.read()
        except (http.client.HTTPException, ConnectionError, socket.timeout, OSError) as e:
            raise NoAnswer(f"{type(e).__name__}: {e}") from e
    finally:
        conn.close()


def post_events(port: int, token: str, events, timeout: float = 60) -> tuple[int, dict | bytes]:
    status, raw = request(port, "POST", "/api/v1/dispatch-events", body=events, token=token, timeout=timeout)
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


# --- the server ---------------------------------------------------------------------------------

class Server:
    """`liandong serve` on loopback, started and stopped (or killed) by the harness."""

    def __init__(self, binary: str, db, log_path, port: int | None = None, extra_env: dict | None = None):
        self.binary, self.db, self.log_path = binary, str(db), str(log_path)
        self.port = port or free_port()
        self.extra_env = extra_env or {}
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = env_for(self.db)
        env.update(self.extra_env)
        logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.binary, "serve", "--hostname", "127.0.0.1", "--port", str(self.port)],
                                     env=env, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        logf.close()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_healthy(self, timeout: float = 60) -> float:
        """Seconds until GET /health answers 200; a failure if the process dies or time runs out."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if not self.alive():
                raise CheckFailed(f"server exited with {self.proc.returncode} before it was healthy; log: {self.log_path}\n{self.tail()}")
            try:
                status, _ = request(self.port, "GET", "/health", timeout=2)
                if status == 200:
                    return time.monotonic() - start
            except (NotDelivered, NoAnswer):
                pass
            time.sleep(0.02)
        raise CheckFailed(f"server not healthy after {timeout}s; log: {self.log_path}\n{self.tail()}")

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()

    def stop(self, timeout: float = 30) -> int:
        """A clean shutdown (SIGTERM); a server that does not stop in time is a failure."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise CheckFailed(f"server did not stop within {timeout}s of SIGTERM")
        return self.proc.returncode

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(Path(self.log_path).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


# --- the database, read-only -------------------------------------------------------------------

@contextlib.contextmanager
def ro_connect(path):
    """A read-only connection to the SQLite file, closed on leaving the block."""
    db = sqlite3.connect(f"file:{os.path.abspath(path)}?mode=ro", uri=True, timeout=30)
    try:
        yield db
    finally:
        db.close()


def integrity_check(path) -> None:
    with ro_connect(path) as db:
        rows = [r[0] for r in db.execute("PRAGMA integrity_check")]
    if rows != ["ok"]:
        raise CheckFailed(f"PRAGMA integrity_check on {path}: {rows[:20]}")


def stored_event_ids(path) -> dict[str, int]:
    """event_id → how many rows carry it."""
    with ro_connect(path) as db:
        return dict(db.execute("SELECT event_id, COUNT(*) FROM dispatch_events GROUP BY event_id"))


def iso(seconds: float) -> str:
    t = _dt.datetime.fromtimestamp(seconds, CHINA)
    return t.isoformat(timespec="seconds" if t.microsecond == 0 else "milliseconds")


def export_events(path, out_dir, per_file: int = 200_000) -> list[Path]:
    """Writes the stored events as JSON Lines that `dispatches import` reads (unit by id), in files
    of about `per_file` events that never split an incident, so that importing them one after
    the other judges every dispatch on all of its events at once."""
    files: list[Path] = []
    out = None
    n, last_incident = 0, None
    with ro_connect(path) as db:
        for event_id, incident, unit, typ, at, on_site, exercise, note in db.execute(
                "SELECT event_id, incident_id, unit_id, type, at, on_site_required, exercise, note FROM dispatch_events "
                "ORDER BY incident_id, at, event_id"):
            if out is None or (n >= per_file and incident != last_incident):
                if out:
                    out.close()
                files.append(Path(out_dir) / f"stored-events-{len(files) + 1}.jsonl")
                out = open(files[-1], "w", encoding="utf-8")
                n = 0
            event = {"event_id": event_id, "incident_id": incident, "unit": str(unit), "type": typ, "at": iso(at)}
            if on_site is not None:
                event["on_site_required"] = bool(on_site)
            if exercise:
                event["exercise"] = True
            if note is not None:
                event["note"] = note
            out.write(json.dumps(event, ensure_ascii=False) + "\n")
            n += 1
            last_incident = incident
    if out:
        out.close()
    return files


FINDING_COLUMNS = "key, unit_id, item, kind, ref, occurred_at, points_tenths, reason, rule_version"
DISPATCH_COLUMNS = ("incident_id, unit_id, jurisdiction_id, level, public_security, exercise, on_site_required, instructed_at, "
                    "acknowledged_at, arrived_at, arrival_reported_at, result_reported_at, closed_at, refused, passed_on, "
                    "limit_seconds, elapsed_seconds, ack_seconds, on_time, settled")


def judgement(path) -> tuple[dict, set, dict]:
    """(active dispatch findings by key, withdrawn dispatch finding keys, judged dispatch rows by pair)."""
    with ro_connect(path) as db:
        active, withdrawn = {}, set()
        for row in db.execute(f"SELECT {FINDING_COLUMNS}, withdrawn_at FROM findings WHERE source = 'dispatch'"):
            if row[-1] is None:
                active[row[0]] = row[:-1]
            else:
                withdrawn.add(row[0])
        dispatches = {(r[0], r[1]): r for r in db.execute(f"SELECT {DISPATCH_COLUMNS} FROM dispatches")}
    return active, withdrawn, dispatches


def compare_judgement(stored_db, fresh_db, label: str) -> str:
    """The findings (and judged rows) of `stored_db` must equal those of a fresh judgement."""
    active, withdrawn, dispatches = judgement(stored_db)
    f_active, f_withdrawn, f_dispatches = judgement(fresh_db)
    problems = []
    if f_withdrawn:
        problems.append(f"the fresh judgement withdrew {len(f_withdrawn)} findings")
    for key in sorted(set(active) - set(f_active))[:5]:
        problems.append(f"finding only in the stored database: {active[key]}")
    for key in sorted(set(f_active) - set(active))[:5]:
        problems.append(f"finding only in the fresh judgement: {f_active[key]}")
    for key in sorted(k for k in set(active) & set(f_active) if active[k] != f_active[k])[:5]:
        problems.append(f"finding differs: stored {active[key]} fresh {f_active[key]}")
    for pair in sorted(set(dispatches) ^ set(f_dispatches))[:5]:
        problems.append(f"dispatch {pair} judged on one side only")
    for pair in sorted(p for p in set(dispatches) & set(f_dispatches) if dispatches[p] != f_dispatches[p])[:5]:
        problems.append(f"dispatch {pair} judged differently: stored {dispatches[pair]} fresh {f_dispatches[pair]}")
    if problems:
        raise CheckFailed(f"{label}: findings differ from a fresh re-judgement:\n  " + "\n  ".join(problems))
    return (f"{len(active)} active findings and {len(dispatches)} judged dispatches equal a fresh re-judgement "
            f"({len(withdrawn)} findings withdrawn along the way, none active in the fresh one)")


def rejudge(binary: str, stored_db, workdir) -> str:
    """A fresh judgement of the stored events: export them, import them into a new database with
    `liandong dispatches import` (each file one transaction, every dispatch judged), compare."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    fresh = workdir / "fresh.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(fresh) + suffix).unlink(missing_ok=True)
    cli(binary, fresh, "migrate")
    for f in export_events(stored_db, workdir):
        cli(binary, fresh, "dispatches", "import", str(f))
        f.unlink()
    return compare_judgement(stored_db, fresh, "re-judgement")


def generate(binary: str, db, out, dispatches: int, seed: int, year: int = 2025) -> list[dict]:
    """Synthetic 110 timelines (`liandong generate`), in time order. A past year: every dispatch
    is closed or past its report deadline, so judging does not depend on the clock."""
    cli(binary, db, "generate", "--year", str(year), "--dispatches", str(dispatches), "--seed", str(seed), "--out", str(out))
    with open(out, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
