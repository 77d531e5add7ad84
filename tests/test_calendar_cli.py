"""`liaison calendar` and `liaison calendar add-days` through the real CLI (PWP-5.2, 5.3,
5.4): the days of a range as the school's calendar sees them, and N school days on.

The school is a fresh copy of the shipped demo school (England, terms 2025-26 and
2026-27, INSET days); a test that needs Scotland or a leap year edits its copy of
school.yaml, as a school would.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.service.shipped import copy_school

Cli = Callable[..., Any]

# A term holding a leap day (Tuesday 29 February 2028), appended to the demo terms.
SPRING_2028 = """\
    - name: Spring 2028
      start: 2028-01-05
      end: 2028-03-31
      breaks:
        - {name: February half term, start: 2028-02-14, end: 2028-02-18}
"""


def listing(cli: Cli, school: Path, start: str, end: str) -> dict[str, tuple[str, str]]:
    run = cli("calendar", "--from", start, "--to", end, "--json", "--school", school)
    assert run.code == 0, run.err
    return {d["date"]: (d["kind"], d["name"]) for d in run.json()}


def add_days(cli: Cli, school: Path, start: str, n: int) -> dict[str, Any]:
    run = cli("calendar", "add-days", start, str(n), "--json", "--school", school)
    assert run.code == 0, run.err
    return dict(run.json())


def set_nation(school: Path, nation: str) -> None:
    path = school / "school.yaml"
    path.write_text(path.read_text().replace("nation: england", f"nation: {nation}"))


def test_pwp_5_3_weekend_listed_and_email_counts_from_the_following_week(cli: Cli,
                                                                         school: Path) -> None:
    """The issue's example: an email at 10:00 on Saturday 28 November 2026 counts as
    received on Monday 30 November; acknowledge by Wednesday 2, respond by Monday 14."""
    days = listing(cli, school, "2026-11-27", "2026-11-30")
    assert days == {"2026-11-27": ("school_day", ""), "2026-11-28": ("weekend", ""),
                    "2026-11-29": ("weekend", ""), "2026-11-30": ("school_day", "")}
    assert add_days(cli, school, "2026-11-28T10:00", 2) == {
        "from": "2026-11-28T10:00", "counts_as_received": "2026-11-30", "school_days": 2,
        "date": "2026-12-02"}
    assert add_days(cli, school, "2026-11-28T10:00", 10)["date"] == "2026-12-14"


def test_pwp_5_3_after_hours_counts_from_the_next_school_day(cli: Cli, school: Path) -> None:
    """School hours end at 16:00: an email at 15:59 counts that day, one at 16:00 the next."""
    assert add_days(cli, school, "2026-11-24T15:59", 0)["counts_as_received"] == "2026-11-24"
    assert add_days(cli, school, "2026-11-24T16:00", 0)["counts_as_received"] == "2026-11-25"
    assert add_days(cli, school, "2026-11-27T18:30", 2)["date"] == "2026-12-02"


def test_bank_holiday_england_and_scotland_differ(cli: Cli, school: Path,
                                                  tmp_path: Path) -> None:
    """St Andrew's Day (Monday 30 November 2026) is a bank holiday in Scotland only, so a
    Saturday email is acknowledged a day later there (PWP-5.3)."""
    assert listing(cli, school, "2026-11-30", "2026-11-30") == {
        "2026-11-30": ("school_day", "")}
    scottish = tmp_path / "scottish"
    copy_school(scottish)
    set_nation(scottish, "scotland")
    assert listing(cli, scottish, "2026-11-30", "2026-11-30") == {
        "2026-11-30": ("bank_holiday", "Saint Andrew's Day")}
    assert add_days(cli, scottish, "2026-11-28T10:00", 2) == {
        "from": "2026-11-28T10:00", "counts_as_received": "2026-12-01", "school_days": 2,
        "date": "2026-12-03"}


def test_bank_holiday_in_term_is_skipped(cli: Cli, school: Path) -> None:
    """The early May bank holiday (Monday 4 May 2026) falls in the summer term."""
    assert listing(cli, school, "2026-05-04", "2026-05-04") == {
        "2026-05-04": ("bank_holiday", "May Day")}
    assert add_days(cli, school, "2026-05-01", 1)["date"] == "2026-05-05"


def test_half_term_is_listed_and_skipped(cli: Cli, school: Path) -> None:
    """October half term 2026 (26 to 30 October): a letter in it counts from 2 November."""
    days = listing(cli, school, "2026-10-23", "2026-11-02")
    assert days["2026-10-23"] == ("school_day", "")
    assert all(days[f"2026-10-{d}"] == ("half_term", "October half term")
               for d in range(26, 31))
    assert days["2026-11-02"] == ("school_day", "")
    assert add_days(cli, school, "2026-10-28T12:00", 2) == {
        "from": "2026-10-28T12:00", "counts_as_received": "2026-11-02", "school_days": 2,
        "date": "2026-11-04"}


def test_pwp_5_2_christmas_holiday_gets_no_reply_until_term_time(cli: Cli,
                                                                 school: Path) -> None:
    """A letter on Christmas Eve counts from the first school day of the spring term,
    Tuesday 5 January 2027 (Monday 4 is an INSET day)."""
    days = listing(cli, school, "2026-12-21", "2027-01-05")
    assert days["2026-12-24"] == ("holiday", "")
    assert days["2026-12-25"] == ("bank_holiday", "Christmas Day")
    assert days["2027-01-01"] == ("bank_holiday", "New Year's Day")
    assert days["2027-01-04"] == ("closure", "INSET day")
    assert days["2027-01-05"] == ("school_day", "")
    assert add_days(cli, school, "2026-12-24T09:00", 2)["counts_as_received"] == "2027-01-05"
    assert add_days(cli, school, "2026-12-24T09:00", 2)["date"] == "2027-01-07"


def test_last_day_of_term_counts_then_the_next_term(cli: Cli, school: Path) -> None:
    """Friday 18 December 2026 is the last day of the autumn term: a letter that morning
    counts that day, and its two days fall in January."""
    assert add_days(cli, school, "2026-12-18T10:00", 0)["counts_as_received"] == "2026-12-18"
    assert add_days(cli, school, "2026-12-18T10:00", 2)["date"] == "2027-01-06"
    assert add_days(cli, school, "2026-12-18", 1)["date"] == "2027-01-05"


def test_closure_day_is_listed_and_skipped(cli: Cli, school: Path) -> None:
    """INSET days on 1 and 2 September 2026 open the autumn term."""
    days = listing(cli, school, "2026-09-01", "2026-09-03")
    assert days == {"2026-09-01": ("closure", "INSET day"),
                    "2026-09-02": ("closure", "INSET day"),
                    "2026-09-03": ("school_day", "")}
    assert add_days(cli, school, "2026-09-01T10:00", 2)["date"] == "2026-09-07"


def test_leap_day_is_a_school_day(cli: Cli, school: Path) -> None:
    """Tuesday 29 February 2028, once the school adds that term to school.yaml."""
    path = school / "school.yaml"
    text = path.read_text()
    path.write_text(text.replace("  closures:\n", SPRING_2028 + "  closures:\n", 1))
    assert listing(cli, school, "2028-02-28", "2028-03-01") == {
        "2028-02-28": ("school_day", ""), "2028-02-29": ("school_day", ""),
        "2028-03-01": ("school_day", "")}
    assert add_days(cli, school, "2028-02-28", 1)["date"] == "2028-02-29"
    assert add_days(cli, school, "2028-02-29T16:30", 1)["date"] == "2028-03-02"


def test_listing_as_a_table_counts_the_school_days(cli: Cli, school: Path) -> None:
    run = cli("calendar", "--from", "2026-10-19", "--to", "2026-11-01", "--school", school)
    assert run.code == 0, run.err
    assert "October half term" in run.out
    assert run.out.rstrip().endswith("5 school days")


def test_add_days_prints_the_date_and_where_counting_started(cli: Cli,
                                                             school: Path) -> None:
    run = cli("calendar", "add-days", "2026-11-28T10:00", "2", "--school", school)
    assert run.code == 0, run.err
    assert run.out.splitlines() == [
        "2026-12-02 (Wednesday 2 December 2026)",
        "  counted from 2026-11-30, the day it counts as received"]


@pytest.mark.parametrize(("args", "message"), [
    (("calendar", "--from", "2026-13-01"), "error: --from '2026-13-01': expected a date"),
    (("calendar", "--from", "2026-11-30", "--to", "2026-11-01"),
     "error: the listing ends (2026-11-01) before it starts (2026-11-30)"),
    (("calendar", "add-days", "next friday", "2"), "error: DATE 'next friday': expected a date"),
    (("calendar", "add-days", "2027-07-20", "10"),
     "error: no school day 10 school days after 2027-07-20 in the school calendar"),
    (("calendar", "add-days", "2025-08-01", "1"),
     "error: 2025-08-01 is before the school calendar starts"),
])
def test_bad_input_is_one_error_line(cli: Cli, school: Path, args: tuple[str, ...],
                                     message: str) -> None:
    run = cli(*args, "--school", school)
    assert run.code == 1
    assert run.out == ""
    assert len(run.err.splitlines()) == 1
    assert run.err.startswith(message)


def test_a_negative_count_is_a_usage_error(cli: Cli, school: Path) -> None:
    run = cli("calendar", "add-days", "2026-11-23", "-1", "--school", school)
    assert run.code == 2
    assert len(run.err.splitlines()) == 1
