"""Benchmark: import a messy N-row CSV of leads vs. a bare insert of the same rows, on SQLite and PostgreSQL.

    python bench/import_leads.py [--rows 1000000] [--sizes 100000 300000] [--backend sqlite|postgresql]

For each backend and file size, in the same run on the same machine (each measurement in its own
process, so peak RSS is that measurement's):
  bare  the rows already parsed and normalised (untimed), inserted into `leads` of a fresh migrated
        database in one transaction: sqlite3 `executemany` (SQLite), psycopg 3 `cursor.copy` (PostgreSQL);
  ours  crm.services.lead_import on the file itself: create_import (store + sniff) and run_import
        (parse, normalise, match duplicates, write leads, tags, report lines, timeline, checkpoints).
Prints rows/s, the ratio ours/bare (target ≥ 0.5), peak RSS and the tracemalloc peak of the import,
and the peaks of its anonymous memory (heap) and of its file-backed pages (SQLite maps the database
file into memory: those pages count in RSS but belong to the OS page cache).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BACKENDS, fresh_database, postgres_unavailable, print_table  # noqa: E402

FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
         "William", "Barbara", "Richard", "Susan", "José", "María", "Wei", "Aisha", "Olivia", "Noah"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
        "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Nguyen", "O'Brien"]
DOMAINS = ["gmail.com", "Yahoo.com", "outlook.com", "icloud.com", "hotmail.com", "comcast.net", "aol.com",
           "brokerage-mail.com"]
AREAS = ["415", "212", "310", "512", "305", "617", "206", "702", "404", "303", "646", "718", "213", "469"]
PHONE_SHAPES = ["({a}) {b}-{c}", "{a}-{b}-{c}", "{a}.{b}.{c}", "+1 {a} {b} {c}", "1{a}{b}{c}", "{a}{b}{c}",
                "+1 ({a}) {b}-{c}"]
SOURCES = ["Zillow", "zillow.com", "Realtor.com", "Website", "Facebook", "referral", "Open House", "Sign call",
           "Past client", "", "Billboard"]
STAGES = ["New", "Contacted", "Qualified", "Hot", "Closed Won", "Lost", "Nurture", ""]
CITIES = [("San Francisco", "CA", "94110"), ("Austin", "TX", "78701"), ("Miami", "FL", "33101"),
          ("Seattle", "WA", "98101"), ("Denver", "CO", "80202"), ("Boston", "MA", "02108")]
HEADER = ["First Name", "Last Name", "Email Address", "Mobile Phone", "Lead Source", "Stage", "Price", "City",
          "State", "Zip", "Tags"]


def generate(path: Path, n: int, seed: int = 42) -> None:
    """A realistic export: mixed-case emails, phones in several styles, ~2% repeated people, junk values."""
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for i in range(n):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            person = i
            if i > 100 and rng.random() < 0.02:  # the same person again, written differently
                person = rng.randrange(i)
                first, last = FIRST[person % len(FIRST)], LAST[person % len(LAST)]
            local = f"{FIRST[person % len(FIRST)]}.{LAST[person % len(LAST)]}{person}".replace("'", "")
            email = f"{local}@{DOMAINS[person % len(DOMAINS)]}"
            email = email.upper() if rng.random() < 0.1 else email if rng.random() < 0.5 else email.lower()
            prng = random.Random(person)
            a, b, c = prng.choice(AREAS), str(prng.randrange(200, 1000)), f"{prng.randrange(10000):04d}"
            phone = rng.choice(PHONE_SHAPES).format(a=a, b=b, c=c)
            roll = rng.random()
            if roll < 0.05:
                email = ""
            elif roll < 0.15:
                phone = ""
            city, state, zip_code = rng.choice(CITIES)
            price = rng.choice(["", f"${rng.randrange(150, 3000) * 1000:,}", f"{rng.randrange(150, 900)}k",
                                str(rng.randrange(150_000, 2_000_000))])
            tags = rng.choice(["", "", "buyer", "buyer; 2024", "investor, vip", "open house"])
            writer.writerow([first, last, email, phone, rng.choice(SOURCES), rng.choice(STAGES), price, city, state,
                             zip_code, tags])


# --- workers (run in a child process) ---------------------------------------------------------


def _point_product_at(url: str, data_dir: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["AVATAR_DIR"] = str(Path(data_dir) / "avatars")
    from crm.config import get_settings
    from crm.db import get_engine, get_sessions

    for cached in (get_sessions, get_engine, get_settings):
        cached.cache_clear()


def _seed_team() -> tuple[int, int]:
    from crm.db import transaction
    from crm.enums import TeamRole
    from crm.orm import Team, TeamMember, User

    with transaction() as session:
        team = Team(name="Bench Realty", slug="bench-realty")
        user = User(email="owner@bench.example.com", name="Bench Owner", password_hash="x")
        session.add_all([team, user])
        session.flush()
        session.add(TeamMember(team_id=team.id, user_id=user.id, role=TeamRole.OWNER))
        return team.id, user.id


def _parsed_rows(path: Path, team_id: int, user_id: int) -> Iterator[tuple[object, ...]]:
    """The file's rows as final lead values (what the bare insert writes), emails unique."""
    from crm.services.lead_import_mapping import parse_source, parse_status, parse_value
    from crm.services.lead_import_normalize import normalize_email, normalize_phone

    seen: set[str] = set()
    stamp = dt.datetime.now(dt.UTC)
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        for first, last, email, phone, source, stage, price, city, state, zip_code, _tags in reader:
            email = normalize_email(email) if email else None
            if email in seen:
                continue
            if email:
                seen.add(email)
            value = parse_value(price) if price else None
            yield (team_id, first, last, email, normalize_phone(phone) if phone else None, None, None, "BUYER",
                   (parse_status(stage) or "NEW").__str__(), 0, (parse_source(source) or "OTHER").__str__(), value,
                   None, city, state, zip_code, False, False, None, user_id, None, stamp, stamp)


BARE_COLUMNS = ("team_id", "first_name", "last_name", "email", "phone", "company", "position", "lead_type", "status",
                "score", "source", "value", "stage", "city", "state", "zip_code", "email_opt_out", "sms_opt_out",
                "assigned_to_id", "created_by_id", "custom_fields", "created_at", "updated_at")


def worker_bare(url: str, path: Path, data_dir: str) -> dict[str, float]:
    """Insert the already-parsed rows; only the inserts (and the commit) are timed."""
    _point_product_at(url, data_dir)
    team_id, user_id = _seed_team()
    from crm.db import get_engine

    engine = get_engine()
    rows = _parsed_rows(path, team_id, user_id)
    chunk_size = 50_000
    inserted, seconds = 0, 0.0
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        sqlite = engine.dialect.name == "sqlite"
        sql = (f"INSERT INTO leads ({', '.join(BARE_COLUMNS)}) VALUES ({', '.join('?' * len(BARE_COLUMNS))})"
               if sqlite else f"COPY leads ({', '.join(BARE_COLUMNS)}) FROM STDIN")
        while True:
            chunk = [r if not sqlite else _sqlite_row(r) for r in _take(rows, chunk_size)]
            if not chunk:
                break
            start = time.perf_counter()
            if sqlite:
                cur.executemany(sql, chunk)
            else:
                with cur.copy(sql) as copy:
                    for row in chunk:
                        copy.write_row(row)
            seconds += time.perf_counter() - start
            inserted += len(chunk)
        start = time.perf_counter()
        raw.commit()
        seconds += time.perf_counter() - start
    finally:
        raw.close()
    return {"rows": inserted, "seconds": seconds, "rss_mb": _max_rss_mb()}


def _sqlite_row(row: tuple[object, ...]) -> tuple[object, ...]:
    values = list(row)
    values[11] = None if values[11] is None else str(values[11])
    for i in (21, 22):
        values[i] = values[i].replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")  # type: ignore[union-attr]
    return tuple(values)


def _take(it: Iterator[tuple[object, ...]], n: int) -> list[tuple[object, ...]]:
    out = []
    for row in it:
        out.append(row)
        if len(out) >= n:
            break
    return out


def worker_ours(url: str, path: Path, data_dir: str, trace: bool, profile: str | None) -> dict[str, float]:
    _point_product_at(url, data_dir)
    team_id, user_id = _seed_team()
    from crm.enums import TeamRole
    from crm.schemas.common import Actor
    from crm.schemas.lead_import import ImportOptions
    from crm.services import lead_import

    actor = Actor(user_id=user_id, team_id=team_id, team_role=TeamRole.OWNER)
    start = time.perf_counter()
    with open(path, "rb") as fh:
        job = lead_import.create_import(actor, fh, path.name, None, ImportOptions())
    created = time.perf_counter() - start
    if trace:
        tracemalloc.start()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    start = time.perf_counter()
    with _RssSampler() as rss:
        job = lead_import.run_import(actor, job.id)
    seconds = time.perf_counter() - start
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    peak = tracemalloc.get_traced_memory()[1] / 1e6 if trace else 0.0
    if job.status.value != "COMPLETED":
        raise SystemExit(f"import ended {job.status}: {job.error}")
    return {"rows": job.processed_rows, "seconds": seconds, "create_seconds": created, "rss_mb": _max_rss_mb(),
            "anon_mb": rss.peak["RssAnon"], "file_mb": rss.peak["RssFile"],
            "traced_mb": peak, "created": job.created_count, "skipped": job.skipped_count,
            "failed": job.failed_count}


class _RssSampler:
    """Peaks of the process's anonymous memory (the heap) and file-backed pages (SQLite's memory map
    of the database) while the import runs: peak RSS alone adds the two up."""

    def __init__(self) -> None:
        import threading

        self.peak = {"RssAnon": 0.0, "RssFile": 0.0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            self._sample()

    def _sample(self) -> None:
        with open("/proc/self/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in self.peak:
                    self.peak[key] = max(self.peak[key], int(value.split()[0]) / 1024)  # kB


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


# --- driver -----------------------------------------------------------------------------------


def _child(kind: str, url: str, path: Path, data_dir: str, *extra: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--worker", kind, "--url", url, "--file", str(path),
                          "--data-dir", data_dir, *extra], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="the largest file (default 1,000,000)")
    parser.add_argument("--sizes", type=int, nargs="*", default=None,
                        help="smaller files too, to show memory stays flat (default rows/10 and rows/3)")
    parser.add_argument("--backend", choices=BACKENDS, action="append")
    parser.add_argument("--trace", action="store_true", help="also tracemalloc the import (slows it ~2x)")
    parser.add_argument("--profile", help="write a cProfile of the largest import to this file prefix")
    parser.add_argument("--worker", choices=("bare", "ours"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        path = Path(args.file)
        result = worker_bare(args.url, path, args.data_dir) if args.worker == "bare" else \
            worker_ours(args.url, path, args.data_dir, args.trace, args.profile_out)
        print(json.dumps(result))
        return
    sizes = sorted(set(args.sizes if args.sizes is not None else [args.rows // 10, args.rows // 3]) | {args.rows})
    backends = args.backend or [b for b in BACKENDS if b == "sqlite" or postgres_unavailable() is None]
    results = []
    with tempfile.TemporaryDirectory(prefix="bench_import_") as folder:
        for size in sizes:
            path = Path(folder) / f"leads_{size}.csv"
            start = time.perf_counter()
            generate(path, size)
            print(f"generated {path.name}: {size:,} rows, {path.stat().st_size / 1e6:.0f} MB "
                  f"in {time.perf_counter() - start:.0f} s", flush=True)
            for backend in backends:
                with fresh_database(backend, prefix="bench_import_bare") as url:
                    bare = _child("bare", url, path, folder)
                with fresh_database(backend, prefix="bench_import_ours") as url:
                    extra = ["--trace"] if args.trace else []
                    if args.profile and size == max(sizes):
                        extra += ["--profile-out", f"{args.profile}.{backend}.prof"]
                    ours = _child("ours", url, path, folder, *extra)
                bare_rate, our_rate = bare["rows"] / bare["seconds"], ours["rows"] / ours["seconds"]
                row = [backend, size, round(bare_rate), round(our_rate), round(our_rate / bare_rate, 2),
                       round(ours["rows"] / (ours["seconds"] + ours["create_seconds"])),
                       round(bare["rss_mb"]), round(ours["rss_mb"]), round(ours["anon_mb"]), round(ours["file_mb"]),
                       round(ours["traced_mb"], 1) if args.trace else "-",
                       f"{ours['created']:,}/{ours['skipped']:,}/{ours['failed']:,}", os.getloadavg()[0]]
                results.append(row)
                print("  " + " | ".join(str(v) for v in row), flush=True)
    print()
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
    print_table(["backend", "rows", "bare rows/s", "import rows/s", "ratio", "incl. upload rows/s", "bare RSS MB",
                 "import RSS MB", "of it heap MB", "of it file pages MB", "traced MB", "created/skipped/failed", "load"], results)


if __name__ == "__main__":
    main()
