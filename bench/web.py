"""Benchmark: the staff web page with 100,000 cases in the store (issue 10).

    python bench/web.py [--cases 100000] [--seconds 30] [--clients 4]

It fills a fresh copy of the demo school's store in bulk (bench/due.py's ``fill``: a few
years of cases, 5 % open), gives the office (OF01) a password, starts ``liaison serve`` as
its own process on 127.0.0.1 and signs ``--clients`` clients in. Each client then asks, in
turn and for ``--seconds``, for: Today (the due list), Cases, a case page, a student page,
and a static file served by the same server (the baseline: what waitress and Flask cost
with no work of ours). p50 and p95 per page in milliseconds, and each page's p95 against
the static file's in the same run. Then, one client alone, each page ``--cpu-rounds``
times in turn: the server process's CPU time per request (from /proc, Linux), a figure a
busy machine changes far less than the wall-clock times. Not a test: the figures depend
on the machine (bench/README.md).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from due import fill  # noqa: E402  (bench/due.py)

from engine.service.liaison import Liaison  # noqa: E402
from engine.service.shipped import copy_school  # noqa: E402
from engine.service.users import Users  # noqa: E402

PASSWORD = "a long benchmark passphrase"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def signed_in(base: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"{base}/sign-in").read().decode()
    found = TOKEN.search(page)
    assert found, "no CSRF token on the sign-in page"
    data = urllib.parse.urlencode({"csrf_token": found.group(1), "staff_id": "OF01",
                                   "password": PASSWORD}).encode()
    opener.open(f"{base}/sign-in", data).read()
    return opener


def client(opener: urllib.request.OpenerDirector, base: str, pages: dict[str, str],
           until: float, out: dict[str, list[float]]) -> None:
    while time.perf_counter() < until:
        for name, path in pages.items():
            started = time.perf_counter()
            with opener.open(base + path) as response:
                response.read()
                assert response.status == 200, (path, response.status)
            out[name].append((time.perf_counter() - started) * 1000)


def cpu_seconds(pid: int) -> float:
    """The process's user and system CPU time so far (Linux's /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_per_request(opener: urllib.request.OpenerDirector, base: str, path: str,
                    pid: int, rounds: int) -> float:
    """The server's CPU milliseconds per request of ``path``, asked ``rounds`` times."""
    before = cpu_seconds(pid)
    for _ in range(rounds):
        with opener.open(base + path) as response:
            response.read()
    return (cpu_seconds(pid) - before) * 1000 / rounds


def wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if server.poll() is not None:
            raise SystemExit("liaison serve stopped before it listened")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit("liaison serve did not listen within 20 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--cpu-rounds", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        school = Path(tmp) / "school"
        copy_school(school)
        engine = Liaison.at(school)
        fill(school / "cases" / "liaison.sqlite3", args.cases)
        Users(engine).set_password("OF01", PASSWORD)
        case = engine.cases("OF01", state="with_subject_teacher").items[0]
        engine.close()
        pages = {"Today": "/", "Cases": "/cases", "a case": f"/cases/{case.case}",
                 "a student": f"/students/{case.student}",
                 "static file (baseline)": "/static/style.css"}
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "engine.cli.main", "serve", "--school", str(school),
             "--port", str(port), "--threads", str(args.clients)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        try:
            wait_for(port, server)
            base = f"http://127.0.0.1:{port}"
            openers = [signed_in(base) for _ in range(args.clients)]
            times: list[dict[str, list[float]]] = [{p: [] for p in pages} for _ in openers]
            until = time.perf_counter() + args.seconds
            threads = [threading.Thread(target=client, args=(o, base, pages, until, t))
                       for o, t in zip(openers, times, strict=True)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            cpu = {name: cpu_per_request(openers[0], base, path, server.pid, args.cpu_rounds)
                   for name, path in pages.items()}
        finally:
            server.terminate()
            server.wait(10)
    merged = {p: sorted(x for t in times for x in t[p]) for p in pages}
    base_p95 = _p95(merged["static file (baseline)"])
    print(f"{args.cases:,} cases, {args.clients} clients for {args.seconds:.0f} s")
    for name, got in merged.items():
        print(f"  {name:24} n={len(got):5d}  p50 {statistics.median(got):8.1f} ms  "
              f"p95 {_p95(got):8.1f} ms  {_p95(got) / base_p95:7.1f}x the static file  "
              f"server CPU {cpu[name]:6.1f} ms")


def _p95(values: list[float]) -> float:
    return values[min(len(values) - 1, int(len(values) * 0.95))]


if __name__ == "__main__":
    main()
