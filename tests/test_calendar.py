"""The school-day calendar (engine/calendar.py): PWP-5.2, PWP-5.3, PWP-5.4.

PWP-5.2: letters acknowledged within 2 working days, answered within 10; none answered
in a holiday. PWP-5.3: emails are letters; at the weekend they count from the following
working week, outside the school day from the following day, in a holiday from term-time.
PWP-5.4: telephone calls returned within 2 working days, follow-up within 10.
"""

from __future__ import annotations

import dataclasses
import textwrap
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.calendar import (
    BANK_HOLIDAY,
    CLOSURE,
    HALF_TERM,
    HOLIDAY,
    SCHOOL_DAY,
    WEEKEND,
    Break,
    SchoolCalendar,
    Term,
    calendar_from_config,
)
from engine.core.yamlfile import loads
from engine.errors import DefinitionError, InputError
from engine.service.sources import read_yaml as load

ROOT = Path(__file__).resolve().parent.parent

# A small calendar in the shape of school.yaml's; the nation is filled in per test.
CALENDAR_YAML = """\
calendar:
  nation: {nation}
  hours:
    start: "08:30"
    end: "16:00"
  terms:
    - name: Summer 2026
      start: 2026-04-13
      end: 2026-07-22
      breaks:
        - {{name: May half term, start: 2026-05-25, end: 2026-05-29}}
    - name: Late summer school
      start: 2026-07-27
      end: 2026-08-14
    - name: Autumn 2026
      start: 2026-08-24
      end: 2026-12-18
      breaks:
        - {{name: October half term, start: 2026-10-26, end: 2026-10-30}}
    - name: Spring 2027
      start: 2027-01-04
      end: 2027-03-25
  closures:
    - {{date: 2026-09-01, name: INSET day}}
    - {{date: 2026-09-02, name: INSET day}}
    - {{date: 2027-01-04, name: INSET day}}
"""

# A test term holding a leap day (Tuesday 29 February 2028).
LEAP_YAML = """\
calendar:
  nation: wales
  hours: {start: "08:45", end: "15:15"}
  terms:
    - name: Spring 2028
      start: 2028-01-05
      end: 2028-03-31
      breaks:
        - {name: February half term, start: 2028-02-14, end: 2028-02-18}
"""


def calendar(nation: str = "england", text: str | None = None) -> SchoolCalendar:
    """A calendar from YAML text, read the way school.yaml is read."""
    source = CALENDAR_YAML.format(nation=nation) if text is None else text
    return calendar_from_config(loads(source, "school.yaml")["calendar"], "school.yaml")


def problems_of(text: str) -> list[str]:
    """The problems calendar_from_config reports for ``text`` (which must have some)."""
    with pytest.raises(DefinitionError) as caught:
        calendar(text=textwrap.dedent(text))
    return caught.value.problems


def line_with(text: str, needle: str) -> int:
    """The 1-based line of ``text`` holding ``needle`` (exactly one must)."""
    lines = [i for i, line in enumerate(textwrap.dedent(text).splitlines(), 1) if needle in line]
    assert len(lines) == 1, (needle, lines)
    return lines[0]


@pytest.fixture(scope="module")
def england() -> SchoolCalendar:
    return calendar("england")


@pytest.fixture(scope="module")
def scotland() -> SchoolCalendar:
    return calendar("scotland")


@pytest.fixture(scope="module")
def shipped() -> SchoolCalendar:
    path = ROOT / "school.yaml"
    return calendar_from_config(load(path)["calendar"], str(path))


# -- the worked example -----------------------------------------------------------

def test_pwp_5_2_5_3_worked_example_saturday_email_on_shipped_school_yaml(shipped):
    """PWP-5.3 weekend email -> following working week; PWP-5.2 acknowledge 2, answer 10."""
    sent = datetime(2026, 11, 28, 10, 0)  # a Saturday
    assert shipped.counts_as_received(sent) == date(2026, 11, 30)
    assert shipped.due_after_receipt(sent, 2) == date(2026, 12, 2)
    assert shipped.due_after_receipt(sent, 10) == date(2026, 12, 14)


def test_pwp_5_2_worked_example_in_scotland_skips_st_andrews_day(scotland):
    """Monday 30 Nov 2026 is St Andrew's Day in Scotland: everything moves a day."""
    sent = datetime(2026, 11, 28, 10, 0)
    assert scotland.day_kind(date(2026, 11, 30)) == (BANK_HOLIDAY, "Saint Andrew's Day")
    assert scotland.counts_as_received(sent) == date(2026, 12, 1)
    assert scotland.due_after_receipt(sent, 2) == date(2026, 12, 3)
    assert scotland.due_after_receipt(sent, 10) == date(2026, 12, 15)


def test_shipped_school_yaml_is_a_valid_english_calendar(shipped):
    assert shipped.nation == "england"
    assert (shipped.day_start, shipped.day_end) == (time(8, 30), time(16, 0))
    assert shipped.first_day == date(2025, 9, 1)
    assert shipped.last_day == date(2027, 7, 21)
    assert shipped.day_kind(date(2027, 5, 3)) == (BANK_HOLIDAY, "May Day")


# -- PWP-5.3: weekends, outside the school day --------------------------------------------

@pytest.mark.parametrize("sent", [
    datetime(2026, 11, 27, 16, 0),   # Friday, the moment school ends
    datetime(2026, 11, 27, 21, 30),  # Friday evening
    datetime(2026, 11, 28, 0, 0),    # Saturday midnight
    datetime(2026, 11, 29, 23, 59),  # Sunday night
])
def test_pwp_5_3_weekend_email_counts_from_next_working_week(england, sent):
    assert england.counts_as_received(sent) == date(2026, 11, 30)


def test_pwp_5_3_weekend_is_a_weekend(england):
    assert england.day_kind(date(2026, 11, 28)) == (WEEKEND, "")
    assert not england.is_school_day(date(2026, 11, 29))


@pytest.mark.parametrize(("sent", "received"), [
    (datetime(2026, 11, 24, 8, 30), date(2026, 11, 24)),   # as school opens
    (datetime(2026, 11, 24, 15, 59), date(2026, 11, 24)),  # last minute of the day
    (datetime(2026, 11, 24, 16, 0), date(2026, 11, 25)),   # the end is exclusive
    (datetime(2026, 11, 24, 18, 45), date(2026, 11, 25)),  # evening
])
def test_pwp_5_3_email_after_school_hours_counts_from_the_following_day(england, sent, received):
    assert england.counts_as_received(sent) == received


def test_pwp_5_3_before_school_hours_counts_as_that_same_school_day(england):
    """The chosen reading: 07:00 Tuesday is first seen Tuesday morning, so it is Tuesday's.

    The whole stretch from Monday 16:00 to Tuesday 08:30 is one out-of-hours period and
    counts from Tuesday, whichever side of midnight the email was sent.
    """
    assert england.counts_as_received(datetime(2026, 11, 24, 7, 0)) == date(2026, 11, 24)
    assert england.counts_as_received(datetime(2026, 11, 24, 0, 1)) == date(2026, 11, 24)
    assert england.counts_as_received(datetime(2026, 11, 23, 23, 59)) == date(2026, 11, 24)


def test_pwp_5_3_before_hours_on_a_non_school_day_is_not_that_day(england):
    """07:00 on a Saturday or in half term still waits for the next school day."""
    assert england.counts_as_received(datetime(2026, 11, 28, 7, 0)) == date(2026, 11, 30)
    assert england.counts_as_received(datetime(2026, 10, 28, 7, 0)) == date(2026, 11, 2)


def test_pwp_5_3_aware_datetimes_are_read_in_uk_time(england):
    """15:30 UTC in June is 16:30 BST, after school; 15:30 UTC in November is 15:30 GMT."""
    assert england.counts_as_received(datetime(2026, 6, 2, 15, 30, tzinfo=UTC)) == date(2026, 6, 3)
    assert england.counts_as_received(datetime(2026, 11, 24, 15, 30, tzinfo=UTC)) == date(
        2026, 11, 24)


def test_pwp_5_4_telephone_return_call_and_follow_up(england):
    """A call on Thursday afternoon: return call in 2 working days, follow-up in 10."""
    call = datetime(2026, 11, 19, 14, 0)
    assert england.due_after_receipt(call, 2) == date(2026, 11, 23)
    assert england.due_after_receipt(call, 10) == date(2026, 12, 3)


# -- bank holidays: from the holidays library, per nation ---------------------------------

def test_pwp_5_3_email_on_a_bank_holiday_counts_from_the_next_school_day(england):
    assert england.day_kind(date(2026, 5, 4)) == (BANK_HOLIDAY, "May Day")
    assert england.counts_as_received(datetime(2026, 5, 4, 10, 0)) == date(2026, 5, 5)
    assert england.add_school_days(date(2026, 5, 1), 1) == date(2026, 5, 5)


def test_summer_bank_holiday_differs_between_scotland_and_england(england, scotland):
    """First Monday of August in Scotland, last Monday in England (made-up summer terms)."""
    assert scotland.day_kind(date(2026, 8, 3)) == (BANK_HOLIDAY, "Summer Bank Holiday")
    assert england.day_kind(date(2026, 8, 3)) == (SCHOOL_DAY, "")
    assert england.day_kind(date(2026, 8, 31)) == (BANK_HOLIDAY, "Late Summer Bank Holiday")
    assert scotland.day_kind(date(2026, 8, 31)) == (SCHOOL_DAY, "")
    friday_evening = datetime(2026, 7, 31, 18, 0)
    assert scotland.counts_as_received(friday_evening) == date(2026, 8, 4)
    assert england.counts_as_received(friday_evening) == date(2026, 8, 3)


def test_st_andrews_day_on_a_sunday_is_observed_on_monday_in_scotland():
    """30 Nov 2025 is a Sunday; holidays gives Monday 1 Dec as the day off in Scotland."""
    text = CALENDAR_YAML.replace("2026-04-13", "2025-11-03").replace("Summer 2026", "Autumn 2025")
    scot = calendar(text=text.format(nation="scotland"))
    assert scot.day_kind(date(2025, 11, 30)) == (BANK_HOLIDAY, "Saint Andrew's Day")
    assert scot.day_kind(date(2025, 12, 1)) == (BANK_HOLIDAY, "Saint Andrew's Day (observed)")
    assert scot.counts_as_received(datetime(2025, 11, 29, 12, 0)) == date(2025, 12, 2)
    england_2025 = calendar(text=text.format(nation="england"))
    assert england_2025.counts_as_received(datetime(2025, 11, 29, 12, 0)) == date(2025, 12, 1)


# -- half term, Christmas, the last day of term, closures ---------------------------------

def test_pwp_5_2_letter_in_half_term_waits_for_term_to_resume(england):
    assert england.day_kind(date(2026, 10, 28)) == (HALF_TERM, "October half term")
    assert england.counts_as_received(datetime(2026, 10, 28, 11, 0)) == date(2026, 11, 2)
    assert england.counts_as_received(datetime(2026, 10, 23, 16, 30)) == date(2026, 11, 2)
    assert england.add_school_days(date(2026, 10, 22), 2) == date(2026, 11, 2)


def test_pwp_5_2_letter_in_christmas_holiday_gets_no_reply_until_term_time(england):
    """The first day of Spring 2027 is an INSET day, so term-time starts on 5 January."""
    assert england.day_kind(date(2026, 12, 23)) == (HOLIDAY, "")
    assert england.day_kind(date(2026, 12, 25)) == (BANK_HOLIDAY, "Christmas Day")
    assert england.day_kind(date(2026, 12, 28)) == (BANK_HOLIDAY, "Boxing Day (observed)")
    sent = datetime(2026, 12, 23, 9, 0)
    assert england.counts_as_received(sent) == date(2027, 1, 5)
    assert england.due_after_receipt(sent, 2) == date(2027, 1, 7)


def test_pwp_5_2_last_day_of_term(england):
    last = date(2026, 12, 18)
    assert england.is_school_day(last)
    assert england.counts_as_received(datetime(2026, 12, 18, 15, 0)) == last
    assert england.counts_as_received(datetime(2026, 12, 18, 16, 30)) == date(2027, 1, 5)
    assert england.next_school_day(last) == date(2027, 1, 5)
    assert england.due_after_receipt(datetime(2026, 12, 14, 9, 0), 10) == date(2027, 1, 12)


def test_pwp_5_3_closure_inset_day_is_not_a_school_day(england):
    assert england.day_kind(date(2026, 9, 2)) == (CLOSURE, "INSET day")
    assert not england.is_school_day(date(2026, 9, 1))
    assert england.counts_as_received(datetime(2026, 8, 28, 17, 0)) == date(2026, 9, 3)
    assert england.add_school_days(date(2026, 8, 28), 1) == date(2026, 9, 3)


def test_leap_day_29_february_2028_is_a_school_day():
    leap = calendar(text=LEAP_YAML)
    assert leap.is_school_day(date(2028, 2, 29))
    assert leap.counts_as_received(datetime(2028, 2, 28, 15, 30)) == date(2028, 2, 29)
    assert leap.add_school_days(date(2028, 2, 28), 1) == date(2028, 2, 29)
    assert leap.add_school_days(date(2028, 2, 29), 1) == date(2028, 3, 1)
    assert leap.due_after_receipt(datetime(2028, 2, 25, 12, 0), 2) == date(2028, 2, 29)


# -- listing and counting -----------------------------------------------------------------

def test_days_lists_each_day_with_its_kind(england):
    listing = england.days(date(2026, 10, 23), date(2026, 11, 2))
    assert listing[0] == (date(2026, 10, 23), SCHOOL_DAY, "")
    assert listing[1] == (date(2026, 10, 24), WEEKEND, "")
    assert listing[3] == (date(2026, 10, 26), HALF_TERM, "October half term")
    assert listing[-1] == (date(2026, 11, 2), SCHOOL_DAY, "")
    assert len(listing) == 11
    assert england.days(date(2026, 7, 23), date(2026, 7, 23)) == [
        (date(2026, 7, 23), HOLIDAY, "")]


def test_days_refuses_a_backwards_or_huge_range(england):
    with pytest.raises(InputError, match="before it starts"):
        england.days(date(2026, 11, 2), date(2026, 11, 1))
    with pytest.raises(InputError, match="at most"):
        england.days(date(2000, 1, 1), date(2099, 1, 1))


def test_add_zero_school_days_is_today_or_the_next_school_day(england):
    assert england.add_school_days(date(2026, 11, 24), 0) == date(2026, 11, 24)
    assert england.add_school_days(date(2026, 11, 28), 0) == date(2026, 11, 30)
    assert england.due_after_receipt(datetime(2026, 11, 28, 10, 0), 0) == date(2026, 11, 30)


@pytest.mark.parametrize("bad", [-1, 1.5, True, "2"])
def test_add_school_days_refuses_a_bad_count(england, bad):
    with pytest.raises(InputError, match="whole number"):
        england.add_school_days(date(2026, 11, 24), bad)


def test_school_day_functions_refuse_a_datetime_for_a_date(england):
    with pytest.raises(TypeError):
        england.add_school_days(datetime(2026, 11, 24, 9, 0), 1)
    with pytest.raises(TypeError):
        england.counts_as_received(date(2026, 11, 24))


def test_school_days_between_counts_after_start_up_to_end(england):
    assert england.school_days_between(date(2026, 11, 28), date(2026, 12, 14)) == 11
    assert england.school_days_between(date(2026, 11, 30), date(2026, 12, 14)) == 10
    assert england.school_days_between(date(2026, 12, 14), date(2026, 11, 30)) == 0


# -- running off the calendar -------------------------------------------------------------

def test_pwp_5_2_running_off_the_end_of_the_calendar_is_an_input_error(england):
    with pytest.raises(InputError, match=r"Spring 2027.*ends 2027-03-25.*add the next terms"):
        england.add_school_days(date(2027, 3, 19), 10)
    with pytest.raises(InputError, match="add the next terms"):
        england.counts_as_received(datetime(2027, 3, 25, 17, 0))
    with pytest.raises(InputError, match="add the next terms"):
        england.next_school_day(date(2030, 1, 1))
    assert england.add_school_days(date(2027, 3, 24), 1) == date(2027, 3, 25)


def test_counting_from_before_the_first_term_is_an_input_error(england):
    with pytest.raises(InputError, match=r"before the school calendar starts.*2026-04-13"):
        england.add_school_days(date(2026, 4, 1), 3)
    with pytest.raises(InputError, match="before the school calendar starts"):
        england.add_school_days(date(2026, 4, 12), 0)
    # The eve of the first term is fine: every day after it is known.
    assert england.next_school_day(date(2026, 4, 12)) == date(2026, 4, 13)
    assert england.day_kind(date(2026, 4, 1)) == (HOLIDAY, "")


# -- immutability and direct construction -------------------------------------------------

def test_calendar_is_immutable(england):
    with pytest.raises(dataclasses.FrozenInstanceError):
        england.nation = "wales"  # type: ignore[misc]
    with pytest.raises(TypeError):
        england._bank_holidays[date(2026, 11, 24)] = "Made-up Day"  # type: ignore[index]


def test_direct_construction_sorts_terms_and_checks_nation():
    spring = Term("Spring", date(2027, 1, 4), date(2027, 3, 25))
    autumn = Term("Autumn", date(2026, 9, 1), date(2026, 12, 18),
                  (Break("Half term", date(2026, 10, 26), date(2026, 10, 30)),))
    cal = SchoolCalendar("wales", time(9, 0), time(15, 30), (spring, autumn))
    assert [t.name for t in cal.terms] == ["Autumn", "Spring"]
    assert cal.term_on(date(2026, 10, 27)) is autumn
    assert cal.term_on(date(2026, 12, 30)) is None
    with pytest.raises(DefinitionError, match="unknown nation 'cornwall'"):
        SchoolCalendar("cornwall", time(9, 0), time(15, 30), (spring,))
    with pytest.raises(DefinitionError, match="at least one term"):
        SchoolCalendar("wales", time(9, 0), time(15, 30), ())


# -- config errors, each with FILE:LINE ---------------------------------------------------

BROKEN_YAML = """\
calendar:
  nation: englnd
  hours:
    start: "16:00"
    end: "08:30"
  colour: blue
  terms:
    - name: Autumn 2026
      start: 2026-09-01
      end: 2026-12-18
      breaks:
        - {name: October half term, start: 2026-12-14, end: 2027-01-08}
    - name: Spring 2027
      start: 2027-01-04
      end: 2026-12-25
    - name: Summer 2027
      start: 2027-04-12
      end: 2026-13-01
    - name: Late Autumn 2026
      start: 2026-12-01
      end: 2026-12-31
    - start: 2028-01-04
      end: 2028-03-31
  closures:
    - {date: 2026-09-05, name: INSET day}
    - {date: 2027-02-29, name: Leap INSET}
"""


HOURS_END = 'end: "08:30"'


def test_config_errors_are_all_reported_with_file_and_line():
    lines = problems_of(BROKEN_YAML)
    at = lambda needle: f"school.yaml:{line_with(BROKEN_YAML, needle)}"  # noqa: E731
    expected = [
        f"{at('englnd')}: calendar.nation: unknown nation 'englnd' "
        "(expected one of: england, wales, scotland, northern_ireland)",
        f"{at('colour')}: calendar.colour: unknown key (allowed: closures, hours, nation, terms)",
        f"{at(HOURS_END)}: calendar.hours.end: "
        "the school day ends (08:30) before it starts (16:00)",
        f"{at('2026-12-25')}: calendar.terms[1].end: ends (2026-12-25) before it starts "
        "(2027-01-04)",
        f"{at('2026-13-01')}: calendar.terms[2].end: not a date (YYYY-MM-DD): '2026-13-01'",
        f"{at('start: 2028-01-04')}: calendar.terms[4].name: missing",
        f"{at('2026-12-14')}: calendar.terms[0].breaks[0]: 2026-12-14 to 2027-01-08 is not "
        "inside the term 'Autumn 2026' (2026-09-01 to 2026-12-18)",
        f"{at('start: 2026-12-01')}: calendar.terms[3]: 'Late Autumn 2026' "
        "(2026-12-01 to 2026-12-31) overlaps calendar.terms[0] 'Autumn 2026' "
        "(2026-09-01 to 2026-12-18)",
        f"{at('2027-02-29')}: calendar.closures[1].date: not a date (YYYY-MM-DD): '2027-02-29'",
    ]
    assert sorted(lines) == sorted(expected)


def test_config_missing_keys_and_wrong_shapes():
    text = """\
    calendar:
      nation: wales
      terms: Autumn
      closures:
        - 2026-09-01
    """
    lines = problems_of(text)
    assert sorted(lines) == sorted([
        "school.yaml:2: calendar.hours: missing",
        "school.yaml:3: calendar.terms: must be a list",
        "school.yaml:5: calendar.closures[0]: must be a mapping",
    ])


def test_config_bad_times_breaks_and_empty_terms():
    text = """\
    calendar:
      nation: scotland
      hours: {start: "8.30", end: "25:00"}
      terms: []
    """
    assert sorted(problems_of(text)) == sorted([
        "school.yaml:3: calendar.hours.start: not a time (HH:MM): '8.30'",
        "school.yaml:3: calendar.hours.end: not a time (HH:MM): '25:00'",
        "school.yaml:4: calendar.terms: must list at least one",
    ])


def test_config_overlapping_breaks_and_break_ending_before_it_starts():
    text = """\
    calendar:
      nation: northern_ireland
      hours: {start: "08:50", end: "15:20"}
      terms:
        - name: Autumn 2026
          start: 2026-09-01
          end: 2026-12-18
          breaks:
            - {name: Halloween, start: 2026-10-26, end: 2026-10-30}
            - {name: Extra, start: 2026-10-29, end: 2026-11-02}
            - {name: Backwards, start: 2026-12-10, end: 2026-12-01}
    """
    assert sorted(problems_of(text)) == sorted([
        "school.yaml:10: calendar.terms[0].breaks[1]: overlaps calendar.terms[0].breaks[0] "
        "'Halloween'",
        "school.yaml:11: calendar.terms[0].breaks[2].end: ends (2026-12-01) before it starts "
        "(2026-12-10)",
    ])


def test_config_closures_that_take_away_no_school_day():
    text = """\
    calendar:
      nation: england
      hours: {start: "08:30", end: "16:00"}
      terms:
        - name: Autumn 2026
          start: 2026-09-01
          end: 2026-12-18
          breaks:
            - {name: October half term, start: 2026-10-26, end: 2026-10-30}
      closures:
        - {date: 2026-09-05, name: Saturday}
        - {date: 2026-10-27, name: In half term}
        - {date: 2027-01-04, name: Outside}
        - {date: 2026-09-02, name: INSET}
        - {date: 2026-09-02, name: Again}
        - {date: 2026-09-03, name: INSET, room: hall}
    """
    assert sorted(problems_of(text)) == sorted([
        "school.yaml:11: calendar.closures[0].date: 2026-09-05 is a Saturday",
        "school.yaml:12: calendar.closures[1].date: 2026-10-27 is in 'October half term' "
        "of 'Autumn 2026'",
        "school.yaml:13: calendar.closures[2].date: 2027-01-04 is not in any term",
        "school.yaml:15: calendar.closures[4].date: 2026-09-02 is already closed by "
        "calendar.closures[3]",
        "school.yaml:16: calendar.closures[5].room: unknown key (allowed: date, name)",
    ])


def test_config_leap_day_only_in_a_leap_year():
    assert calendar(text=LEAP_YAML).is_school_day(date(2028, 2, 29))
    broken = LEAP_YAML.replace("2028-03-31", "2027-02-29")
    line = line_with(broken, "end: 2027-02-29")
    assert problems_of(broken) == [
        f"school.yaml:{line}: calendar.terms[0].end: not a date (YYYY-MM-DD): '2027-02-29'"]


def test_config_missing_calendar_section():
    with pytest.raises(DefinitionError, match=r"^school.yaml: calendar: missing$"):
        calendar_from_config(None, "school.yaml")


# -- properties ---------------------------------------------------------------------------

PROPERTY_CAL = calendar("scotland")
DAYS_IN_RANGE = st.dates(min_value=date(2026, 4, 13), max_value=date(2027, 3, 25))


def naive_add(cal: SchoolCalendar, d: date, n: int) -> date:
    """add_school_days the slow way, one day at a time (n >= 1)."""
    while n:
        d += timedelta(days=1)
        n -= cal.is_school_day(d)
    return d


def add_or_error(cal: SchoolCalendar, d: date, n: int) -> date | str:
    try:
        return cal.add_school_days(d, n)
    except InputError:
        return "off the end"


@settings(max_examples=300, deadline=None)
@given(d=DAYS_IN_RANGE, n=st.integers(1, 60), m=st.integers(0, 60))
def test_pwp_5_2_adding_school_days_composes(d, n, m):
    """add(add(d, n), m) == add(d, n + m), always landing on a school day."""
    whole = add_or_error(PROPERTY_CAL, d, n + m)
    first = add_or_error(PROPERTY_CAL, d, n)
    composed = first if first == "off the end" else add_or_error(PROPERTY_CAL, first, m)
    assert composed == whole
    if whole != "off the end":
        assert PROPERTY_CAL.is_school_day(whole)
        assert whole == naive_add(PROPERTY_CAL, d, n + m)
        assert PROPERTY_CAL.school_days_between(d, whole) == n + m


@settings(max_examples=200, deadline=None)
@given(d=DAYS_IN_RANGE, m=st.integers(0, 30))
def test_pwp_5_2_adding_zero_days_lands_on_a_school_day(d, m):
    """n == 0 is d itself on a school day, else the next school day; on a school day,
    adding 0 then m is adding m. (From a non-school day it is not: add(Sat, 0) is Monday
    and add(Monday, 1) is Tuesday, while add(Sat, 1) is Monday.)"""
    start = PROPERTY_CAL.add_school_days(d, 0)
    assert PROPERTY_CAL.is_school_day(start)
    assert (start == d) == PROPERTY_CAL.is_school_day(d)
    assert start == d or start == PROPERTY_CAL.next_school_day(d)
    if PROPERTY_CAL.is_school_day(d):
        assert add_or_error(PROPERTY_CAL, start, m) == add_or_error(PROPERTY_CAL, d, m)


@settings(max_examples=300, deadline=None)
@given(day=st.dates(min_value=date(2026, 4, 13), max_value=date(2027, 3, 24)),
       minute=st.integers(0, 24 * 60 - 1))
def test_pwp_5_3_received_day_is_a_school_day_never_before_sending(day, minute):
    sent = datetime.combine(day, time()) + timedelta(minutes=minute)
    received = PROPERTY_CAL.counts_as_received(sent)
    assert received >= day
    assert PROPERTY_CAL.is_school_day(received)
    same_day = PROPERTY_CAL.is_school_day(day) and sent.time() < PROPERTY_CAL.day_end
    assert (received == day) == same_day
