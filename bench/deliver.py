"""Benchmark: 1,000 queued letters emailed to a local SMTP server (issue 12: the worker's
overhead at most 1.5x a plain smtplib loop).

    python bench/deliver.py [--letters 1000] [--repeat 3]

It makes a school of ``--letters`` students, each with one parent with an email address,
sends them a batch letter (so 1,000 letters are queued in the outbox, as a batch queues
them), and gives each letter its PDF (LibreOffice converts one, each letter gets a copy,
recorded in ``pdfs`` as the worker records its own: the conversion is not what is
measured here). An aiosmtpd server runs in a process of its own on 127.0.0.1 and counts
what it receives. Then, in the same run, each in a fresh process:

- the baseline: the same prepared messages (built by the worker's own code, before the
  clock starts) sent over one smtplib connection in a loop;
- the worker: ``engine.service.outbox.deliver_queued``, what ``liaison deliver --once``
  runs: read the queue, check each contact again, build each email, record the attempts,
  journal and hand each over, record how each went, a hundred at a time.

Letters per second and peak RSS (ru_maxrss) of each, the medians of ``--repeat`` runs
(the queue is put back between runs), and the ratio worker/baseline. Every run checks
that the server received every letter once. Not a test: the figures depend on the machine
(bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER = """
import sys, time
from aiosmtpd.controller import Controller
class Count:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        Count.n += 1
        return "250 OK"
c = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("ready", flush=True)
for line in sys.stdin:
    if line.strip() == "count":
        print(Count.n, flush=True)
    elif line.strip() == "reset":
        Count.n = 0
        print("0", flush=True)
c.stop()
"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_school(root: Path, letters: int, port: int) -> None:
    """A school of ``letters`` students with one parent each, a batch letter to them all
    queued, and each letter's PDF in place."""
    from engine.service import batch, pdf
    from engine.service.liaison import Liaison
    from engine.service.shipped import copy_school
    from engine.store.outbox import Outbox

    copy_school(root)
    with (root / "school.yaml").open("a", encoding="utf-8") as f:
        f.write(f"\ndelivery:\n  email:\n    host: 127.0.0.1\n    port: {port}\n"
                "    starttls: false\n    from: letters@hillcrest-academy.example.org\n"
                "    reply_to: office@hillcrest-academy.example.org\n")
    students = ["id,first_name,last_name,year,form,house"]
    contacts = ["id,student_id,title,first_name,last_name,relationship,address_line1,"
                "address_line2,town,postcode,email,phone,language,separate_correspondence,"
                "correspondence"]
    for i in range(letters):
        students.append(f"B{i:05d},Sam,Pupil{i},9,9B,Heron")
        contacts.append(f"P{i:05d},B{i:05d},Ms,Alex,Parent{i},Mother,{i} Long Road,,"
                        f"Millbrook,MB{i % 9 + 1} {i % 10}AA,parent{i}@example.com,"
                        f"07700 900{i % 1000:03d},English,no,all")
    (root / "students.csv").write_text("\n".join(students) + "\n", encoding="utf-8")
    (root / "contacts.csv").write_text("\n".join(contacts) + "\n", encoding="utf-8")
    engine = Liaison.at(root)
    try:
        engine.import_students(root / "students.csv")
        engine.import_contacts(root / "contacts.csv")
        batch.send(engine, "praise_letter", "OF01", batch.Selection(year=9),
                   {"term": ["the Autumn term 2026"], "achievement": ["A fine term."]})
        box = Outbox(engine.store)
        rows = box.rows()
        first = pdf.to_pdf([root / rows[0]["path"]])[0]
        data = first.read_bytes()
        import hashlib

        records = []
        for row in rows:
            target = (root / row["path"]).with_suffix(".pdf")
            if target != first:
                shutil.copyfile(first, target)
            records.append({"document_id": row["document_id"],
                            "path": target.relative_to(root).as_posix(),
                            "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                            "docx_sha256": row["docx_sha256"], "made_at": row["queued_at"]})
        box.record_pdfs(records)
        engine.store.execute("UPDATE outbox SET next_at = '2000-01-01T00:00:00'")
        assert len(rows) == letters, (len(rows), letters)
    finally:
        engine.close()


def reset(root: Path) -> None:
    """Put every letter back in the queue, as it was before any run."""
    from engine.store.database import Store

    store = Store(root / "cases" / "liaison.sqlite3")
    store.execute("UPDATE outbox SET status = 'queued', attempts = 0, message_id = NULL, "
                  "sent_at = NULL, sent_to = NULL, error = NULL, "
                  "next_at = '2000-01-01T00:00:00'")
    store.execute("DELETE FROM outbox_history WHERE status != 'queued'")
    store.close()


def run_worker(root: Path) -> dict[str, float]:
    from engine.service.liaison import Liaison
    from engine.service.outbox import deliver_queued

    engine = Liaison.at(root)
    start = time.perf_counter()
    done = deliver_queued(engine, once=True)
    seconds = time.perf_counter() - start
    engine.close()
    return {"seconds": seconds, "sent": done.sent, "rss_kb": _rss()}


def run_baseline(root: Path) -> dict[str, float]:
    import smtplib

    from engine.service.liaison import Liaison
    from engine.service.outbox import _message, settings_of
    from engine.store.outbox import Outbox

    engine = Liaison.at(root)
    settings = settings_of(engine)
    assert settings is not None
    box = Outbox(engine.store)
    rows = box.rows()
    pdfs = box.pdfs_of({r["document_id"] for r in rows})
    from engine.core import sending

    messages = [(_message(engine, settings, r, r["address"],
                          sending.message_id(r["key"], settings.domain),
                          root / pdfs[r["document_id"]]["path"]), r["address"]) for r in rows]
    engine.close()
    start = time.perf_counter()
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=30)
    for message, to in messages:
        smtp.send_message(message, from_addr=settings.sender, to_addrs=[to])
    smtp.quit()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "sent": len(messages), "rss_kb": _rss()}


def _rss() -> float:
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _child(kind: str, root: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, f"--{kind}", str(root)],
                          capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--letters", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--worker", type=Path)
    parser.add_argument("--baseline", type=Path)
    parser.add_argument("--setup", nargs=3)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_worker(args.worker)))
        return
    if args.baseline:
        print(json.dumps(run_baseline(args.baseline)))
        return
    if args.setup:
        make_school(Path(args.setup[0]), int(args.setup[1]), int(args.setup[2]))
        return
    port = _port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert server.stdin and server.stdout
    assert server.stdout.readline().strip() == "ready"

    def count(what: str = "count") -> int:
        server.stdin.write(what + "\n")  # type: ignore[union-attr]
        server.stdin.flush()  # type: ignore[union-attr]
        return int(server.stdout.readline())  # type: ignore[union-attr]

    try:
        with tempfile.TemporaryDirectory(prefix="liaison-bench-deliver-") as tmp:
            root = Path(tmp) / "school"
            start = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--setup", str(root), str(args.letters),
                            str(port)], check=True)
            print(f"{args.letters} letters queued, their PDFs in place: "
                  f"{time.perf_counter() - start:.1f} s (not measured below)")
            results: dict[str, list[dict[str, float]]] = {"baseline": [], "worker": []}
            for _ in range(args.repeat):
                for kind in ("baseline", "worker"):
                    reset(root)
                    count("reset")
                    got = _child(kind, root)
                    received = count()
                    assert received == args.letters == got["sent"], (kind, received, got)
                    results[kind].append(got)
            _report(results, args.letters)
    finally:
        server.stdin.close()
        server.wait(timeout=30)


def _report(results: dict[str, list[dict[str, float]]], letters: int) -> None:
    median = {k: statistics.median(r["seconds"] for r in v) for k, v in results.items()}
    rss = {k: max(r["rss_kb"] for r in v) / 1024 for k, v in results.items()}
    print(f"{'':10} {'letters/s':>10} {'seconds':>8} {'peak RSS MB':>12}")
    for kind in ("baseline", "worker"):
        print(f"{kind:10} {letters / median[kind]:10.0f} {median[kind]:8.2f} {rss[kind]:12.1f}")
    print(f"worker/baseline: {median['worker'] / median['baseline']:.2f}x time, "
          f"{rss['worker'] / rss['baseline']:.2f}x peak RSS (goal: time <= 1.5x)")


if __name__ == "__main__":
    main()
