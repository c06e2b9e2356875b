"""Dates as newsrooms type them: every form the import issue names, and clear refusals."""

import datetime

import pytest

from astana_cms.imports.dates import DateError, parse_date

JUNE_21 = datetime.date(2023, 6, 21)

pytestmark = pytest.mark.usefixtures("english")


@pytest.mark.parametrize(
    "typed",
    [
        "2023-06-21",
        "2023-6-21",
        "2023-06-21 00:00:00",
        "21/06/2023",
        "21-6-2023",
        "21.06.2023",
        45098,  # Excel serial number
        45098.0,
        "45098",
        datetime.date(2023, 6, 21),
        datetime.datetime(2023, 6, 21, 14, 30),
        "21 حزيران 2023",  # Levantine month names
        "21 يونيو 2023",  # Egyptian and Gulf month names
        "21 يونية 2023",
        "21 من حزيران 2023",  # as Enab Baladi writes it
        "21 يونيو/حزيران 2023",  # both conventions, as Anadolu writes them
        "21 يونيو / حزيران 2023",
        "الأربعاء 21 يونيو/حزيران 2023",  # with the weekday
        "الاربعاء، 21 حزيران 2023",
        "٢١ حزيران ٢٠٢٣",  # Arabic-Indic digits
        "۲۱ يونيو ۲۰۲۳",  # Persian digits
        "21 June 2023",
        "June 21, 2023",
        "21 Jun 2023",
        "Wednesday 21 June 2023",
    ],
)
def test_every_form_of_21_june_2023(typed):
    assert parse_date(typed) == JUNE_21


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("24 تشرين الثاني 2018", datetime.date(2018, 11, 24)),
        ("24 نوفمبر/تشرين الثاني 2018", datetime.date(2018, 11, 24)),
        ("23 كانون الثاني 2017", datetime.date(2017, 1, 23)),
        ("23 يناير/كانون الثاني 2017", datetime.date(2017, 1, 23)),
        ("6 فبراير/شباط 2023", datetime.date(2023, 2, 6)),
        ("16 آذار 2018", datetime.date(2018, 3, 16)),
        ("16 اذار 2018", datetime.date(2018, 3, 16)),
        ("16 مارس 2018", datetime.date(2018, 3, 16)),
        ("25 نيسان 2019", datetime.date(2019, 4, 25)),
        ("25 أبريل 2019", datetime.date(2019, 4, 25)),
        ("10 أيار 2023", datetime.date(2023, 5, 10)),
        ("10 ايار 2023", datetime.date(2023, 5, 10)),
        ("10 مايو 2023", datetime.date(2023, 5, 10)),
        ("7 تموز 2021", datetime.date(2021, 7, 7)),
        ("13 آب 2023", datetime.date(2023, 8, 13)),
        ("13 أغسطس/آب 2023", datetime.date(2023, 8, 13)),
        ("14 أيلول 2017", datetime.date(2017, 9, 14)),
        ("30 تشرين الأول 2017", datetime.date(2017, 10, 30)),
        ("30 أكتوبر 2017", datetime.date(2017, 10, 30)),
        ("21 كانون الأول 2017", datetime.date(2017, 12, 21)),
        ("21 ديسمبر 2017", datetime.date(2017, 12, 21)),
        ("29 شباط 2024", datetime.date(2024, 2, 29)),
    ],
)
def test_every_month_in_both_conventions(typed, expected):
    assert parse_date(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "The date is empty."),
        ("31 حزيران 2023", "not a real date"),
        ("30/02/2023", "not a real date"),
        ("21 يونيو/تموز 2023", "names two different months"),
        ("حزيران 2023", "not a date this import can read"),
        ("next Tuesday", "not a date this import can read"),
        (12, "a number, not a date"),
        ("2023/21/06", "not a date this import can read"),
    ],
)
def test_what_is_not_a_date_is_refused_with_a_reason(typed, message):
    with pytest.raises(DateError, match=message):
        parse_date(typed)


def test_the_reference_spreadsheet_dates_all_read():
    import csv
    from pathlib import Path

    from django.conf import settings

    path = Path(settings.BASE_DIR) / "fixtures" / "astana_rounds.csv"
    with open(path, encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            assert parse_date(row["start_date"]) <= parse_date(row["end_date"])
