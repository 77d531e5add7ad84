"""GOV.UK Notify precompiled letters (issue 12), against a stand-in of its HTTP API on
127.0.0.1: the real notifications-python-client posts each letter's PDF, signed with a
JWT made from a test key (no real key is ever needed). A school with delivery.notify has
its post sent through Notify by ``liaison deliver``; a letter is deemed received on the
second working day after Notify posts it (EXC-6)."""

from __future__ import annotations

import base64
import json
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import Run
from test_outbox import configure

from engine.service.liaison import Liaison

Cli = Callable[..., Run]
needs_soffice = pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")),
                                   reason="LibreOffice is not installed")
KEY = f"liaison_test-{uuid.uuid4()}-{uuid.uuid4()}"


class StandIn:
    """What the stand-in received, and how it answers."""

    def __init__(self) -> None:
        self.letters: list[dict[str, Any]] = []
        self.status = 201  # the answer to a letter
        self.tokens: list[str] = []


@pytest.fixture
def notify() -> Iterator[tuple[StandIn, str]]:
    seen = StandIn()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            seen.tokens.append(self.headers.get("Authorization", ""))
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.path != "/v2/notifications/letter":
                return self._answer(404, {"errors": [{"message": "no such path"}]})
            if seen.status != 201:
                return self._answer(seen.status, {"status_code": seen.status, "errors": [
                    {"error": "BadRequestError", "message": "Letter content is not a valid PDF"}]})
            letter = {"id": str(uuid.uuid4()), "reference": body["reference"],
                      "postage": body.get("postage"),
                      "pdf": base64.b64decode(body["content"])}
            seen.letters.append(letter)
            return self._answer(201, {"id": letter["id"], "reference": letter["reference"],
                                      "postage": letter["postage"]})

        def do_GET(self) -> None:  # noqa: N802
            asked = parse_qs(urlparse(self.path).query).get("reference", [""])[0]
            found = [{"id": x["id"], "reference": x["reference"], "type": "letter"}
                     for x in seen.letters if x["reference"] == asked]
            return self._answer(200, {"notifications": found, "links": {}})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield seen, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _post_queued(school_cli: Cli, school: Path, base_url: str) -> int:
    configure(school, 2525, extra=f"  notify:\n    api_key_env: LIAISON_NOTIFY_KEY\n"
                                  f"    base_url: {base_url}\n  send: [post]\n")
    run = school_cli("letters", "batch", "praise_letter", "--as", "OF01", "--year", "7",
                     "--set", "term=the Autumn term 2026", "--set", "achievement=Good work.",
                     "--json")
    assert run.code == 0, run.err
    return int(run.json()["made"])


@needs_soffice
def test_post_goes_as_precompiled_letters_through_notify(
        school_cli: Cli, liaison: Liaison, school: Path, notify: tuple[StandIn, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen, base_url = notify
    monkeypatch.setenv("LIAISON_NOTIFY_KEY", KEY)
    made = _post_queued(school_cli, school, base_url)
    run = school_cli("deliver", "--once", "--json")
    assert run.code == 0, run.err
    assert run.json()["posted"] == made
    assert len(seen.letters) == made
    assert all(x["pdf"].startswith(b"%PDF-") and x["postage"] == "first"
               for x in seen.letters)
    assert all(t.startswith("Bearer ") for t in seen.tokens)
    rows = json.loads(school_cli("outbox", "--as", "OF01", "--json").out)
    assert {r["status"] for r in rows} == {"posted"}
    with liaison.store.reads() as r:
        ids = {p for (p,) in r.conn.exec_driver_sql("SELECT provider_id FROM outbox").all()}
    assert ids == {x["id"] for x in seen.letters}
    # a second run posts nothing again
    assert school_cli("deliver", "--once").code == 0
    assert len(seen.letters) == made


@needs_soffice
def test_a_letter_notify_refuses_fails_and_a_stopped_run_is_reconciled_by_reference(
        school_cli: Cli, liaison: Liaison, school: Path, notify: tuple[StandIn, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen, base_url = notify
    monkeypatch.setenv("LIAISON_NOTIFY_KEY", KEY)
    made = _post_queued(school_cli, school, base_url)
    # a run stopped after Notify took the first letter, before it was recorded
    with liaison.store.writing() as conn:  # ids are numbered across schools on PostgreSQL
        first = conn.exec_driver_sql("SELECT min(id) FROM outbox").scalar()
        conn.exec_driver_sql(f"UPDATE outbox SET status = 'sending', attempts = 1 "
                             f"WHERE id = {first}")
        key = conn.exec_driver_sql(f"SELECT key FROM outbox WHERE id = {first}").scalar()
    seen.letters.append({"id": "already-there", "reference": key, "postage": "first",
                         "pdf": b""})
    seen.status = 400
    run = school_cli("deliver", "--once", "--json")
    assert run.code == 0, run.err
    assert run.json()["failed"] == made - 1
    rows = {r["id"]: r for r in json.loads(school_cli("outbox", "--as", "OF01", "--json").out)}
    assert rows[first]["status"] == "posted"  # Notify had it: not sent again
    assert len(seen.letters) == 1
    assert all(r["status"] == "failed" and "not a valid PDF" in r["error"]
               for i, r in rows.items() if i != first)


def test_no_key_in_the_environment_is_refused_before_anything_is_sent(
        school_cli: Cli, school: Path, notify: tuple[StandIn, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIAISON_NOTIFY_KEY", raising=False)
    _post_queued(school_cli, school, notify[1])
    run = school_cli("deliver", "--once")
    assert run.code == 1
    assert run.err.startswith("error: delivery.notify.api_key_env names LIAISON_NOTIFY_KEY")
    assert notify[0].letters == []
