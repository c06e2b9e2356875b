"""Dates as a newsroom types them in a spreadsheet.

ISO (2023-06-21), day/month/year (21/06/2023, 21-6-2023, 21.06.2023), Excel serial numbers
(45098), and month names in Arabic — both the Levantine and Iraqi names (حزيران، تشرين الثاني،
كانون الأول) and the Egyptian and Gulf ones (يونيو، نوفمبر، ديسمبر), alone or paired as the
press pairs them ("يونيو/حزيران") — or in English, with Arabic-Indic digits or without,
with a weekday or a "من" before the month or without. Spellings go through the shared
normaliser, so أيار and ايار, آذار and اذار, يونيو and يونية all read the same.

`dateparser` was not enough: it returns nothing for حزيران, آذار, كانون الثاني or تشرين الثاني.
"""

from __future__ import annotations

import datetime
import re

from django.utils.translation import gettext as _

from astana_cms.text import fold

# Excel counts days from 1899-12-30 (its 1900 leap-year bug included).
EXCEL_EPOCH = datetime.date(1899, 12, 30)
EXCEL_RANGE = (20000, 80000)  # 1954 to 2119: a bare number outside is not a date

_MONTH_NAMES = {
    1: ["كانون الثاني", "يناير", "january", "jan"],
    2: ["شباط", "فبراير", "february", "feb"],
    3: ["آذار", "مارس", "march", "mar"],
    4: ["نيسان", "أبريل", "إبريل", "ابريل", "april", "apr"],
    5: ["أيار", "مايو", "may"],
    6: ["حزيران", "يونيو", "يونية", "june", "jun"],
    7: ["تموز", "يوليو", "يولية", "july", "jul"],
    8: ["آب", "أغسطس", "اغسطس", "august", "aug"],
    9: ["أيلول", "سبتمبر", "september", "sep", "sept"],
    10: ["تشرين الأول", "أكتوبر", "اكتوبر", "october", "oct"],
    11: ["تشرين الثاني", "نوفمبر", "november", "nov"],
    12: ["كانون الأول", "ديسمبر", "december", "dec"],
}
# Folded name → month; longest first, so "كانون الثاني" wins over a stray "كانون".
MONTHS = dict(
    sorted(
        ((fold(name), month) for month, names in _MONTH_NAMES.items() for name in names),
        key=lambda item: -len(item[0]),
    )
)
_MONTH_PATTERN = "|".join(re.escape(name) for name in MONTHS)
_WEEKDAYS = (
    "السبت|الاحد|الأحد|الاثنين|الإثنين|الثلاثاء|الاربعاء|الأربعاء|الخميس|الجمعه|الجمعة|"
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
)

# "21 حزيران 2023", "21 من يونيو/حزيران 2023", "June 21, 2023", "21 June 2023"
_NAMED = re.compile(
    rf"^(?:(?:{fold(_WEEKDAYS)})[ ,،]*)?"
    rf"(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s*(?:من\s+)?"
    rf"(?P<month>(?:{_MONTH_PATTERN})(?:\s*/\s*(?:{_MONTH_PATTERN}))?)[\s,،]*(?P<year>\d{{4}})$"
    rf"|^(?P<month2>{_MONTH_PATTERN})\s+(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?[\s,]+(?P<year2>\d{{4}})$"
)
_ISO = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?:[ t].*)?$")
_DMY = re.compile(r"^(?P<day>\d{1,2})[/.\-](?P<month>\d{1,2})[/.\-](?P<year>\d{4})$")


class DateError(ValueError):
    """A value that is not a date; the message says what was read and what is accepted."""


def _month_of(names: str) -> int:
    months = {MONTHS[name.strip()] for name in names.split("/")}
    if len(months) != 1:
        raise DateError(_("“%(value)s” names two different months.") % {"value": names})
    return months.pop()


def _make(year: int, month: int, day: int, value: str) -> datetime.date:
    try:
        return datetime.date(year, month, day)
    except ValueError as error:
        raise DateError(
            _("“%(value)s” is not a real date (%(reason)s).") % {"value": value, "reason": error}
        ) from error


def parse_date(value) -> datetime.date:
    """Read one spreadsheet cell as a date, or raise DateError saying why not."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_serial(value, str(value))
    text = fold(str(value or "")).replace("،", ",")
    if not text:
        raise DateError(_("The date is empty."))
    if re.fullmatch(r"\d+(?:\.0+)?", text):
        return _from_serial(float(text), str(value))
    for pattern in (_ISO, _DMY):
        match = pattern.match(text)
        if match:
            return _make(int(match["year"]), int(match["month"]), int(match["day"]), str(value))
    match = _NAMED.match(text)
    if match:
        if match["day"]:
            return _make(int(match["year"]), _month_of(match["month"]), int(match["day"]), value)
        return _make(int(match["year2"]), _month_of(match["month2"]), int(match["day2"]), value)
    raise DateError(
        _(
            "“%(value)s” is not a date this import can read. Write it as 2023-06-21, "
            "21/06/2023, or 21 حزيران 2023 / 21 يونيو 2023."
        )
        % {"value": value}
    )


def _from_serial(number: float, value: str) -> datetime.date:
    if not EXCEL_RANGE[0] <= number <= EXCEL_RANGE[1]:
        raise DateError(
            _("“%(value)s” is a number, not a date (as an Excel date it would be out of range).")
            % {"value": value}
        )
    return EXCEL_EPOCH + datetime.timedelta(days=int(number))
