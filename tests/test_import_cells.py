"""Import cells as newsrooms write them: a meeting by its number in either digits, its names
and the press's spellings of them, or its kind and date; the preview says what each row was
read as."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rounds.models import Round
from rounds.resources import RoundWidget, arabic_ordinals
from tests.factories import UserFactory
from tests.helpers import import_file

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

REFERENCE = Path(settings.BASE_DIR) / "fixtures" / "astana_rounds.csv"


@pytest.fixture
def meetings(venues):
    report = import_file("rounds", REFERENCE.read_bytes(), "astana_rounds.csv")
    assert report.ok
    return Round.objects.all()


@pytest.mark.parametrize(
    ("cell", "slug"),
    [
        ("20", "round-20"),
        ("٢٠", "round-20"),
        (20, "round-20"),
        (20.0, "round-20"),
        ("round-20", "round-20"),
        ("أستانا 20", "round-20"),
        ("أستانة 20", "round-20"),
        ("Astana 20", "round-20"),
        ("astana-20", "round-20"),
        ("الجولة 20", "round-20"),
        ("الجولة العشرين", "round-20"),
        ("الجولة العشرون", "round-20"),
        ("الجولة الحادية عشرة", "round-11"),
        ("الجولة الحادية والعشرين", "round-21"),
        ("Sochi 10", "round-10"),
        ("سوتشي 10", "round-10"),
        ("أستانا 10", "round-10"),  # the process's 10th round, though it met in Sochi
        ("Nur-Sultan 13", "round-13"),
        ("نور سلطان 13", "round-13"),
        ("ministerial 2018-03-16", "ministerial-2018-03-16"),
        ("اجتماع وزاري 16/3/2018", "ministerial-2018-03-16"),
        ("ministerial-2018-03-16", "ministerial-2018-03-16"),
    ],
)
def test_a_meeting_as_editors_type_it(meetings, cell, slug):
    assert RoundWidget().clean(cell).slug == slug


@pytest.mark.parametrize("cell", ["99", "أستانا 99", "ministerial 2019-01-01", "الجولة المئة"])
def test_an_unknown_meeting_is_refused_with_examples(meetings, cell):
    with pytest.raises(ValueError, match="ministerial 2018-03-16"):
        RoundWidget().clean(cell)


def test_ordinals():
    assert arabic_ordinals(1) == ["الأولى"]
    assert arabic_ordinals(11) == ["الحادية عشرة"]
    assert arabic_ordinals(12) == ["الثانية عشرة"]
    assert arabic_ordinals(20) == ["العشرون", "العشرين"]
    assert arabic_ordinals(22) == ["الثانية والعشرون", "الثانية والعشرين"]


def test_the_preview_names_the_meeting_each_row_was_read_as(client, demo):
    header = "outlet,source_headline,source_date,text,speaker,kind,round,topics\r\n"
    row = (
        "Enab Baladi,بناءً على التحرك العربي.. كازاخستان تدعو لقفل مسار “أستانة”,2023-06-21,"
        '"تشديد على دور عملية ""استانة"" في حل مستدام في سوريا",الدول الضامنة,joint_statement,'
        "الجولة العشرين,future-of-the-format\r\n"
    )
    client.force_login(UserFactory(username="desk", role="Editor"))
    upload = SimpleUploadedFile("cells.csv", (header + row).encode())
    response = client.post(reverse("admin:statements_excerpt_import"), {"file": upload})
    html = response.content.decode()
    assert response.context["report"].ok, response.context["report"].problems
    assert "<th>Meeting</th>" in html
    assert '<td dir="auto">Astana 20</td>' in html


@pytest.mark.parametrize("speaker", ["البيان الختامي", "البيان الختامي المشترك", "joint statement"])
def test_a_newsrooms_generic_speaker_is_the_group_actor(demo, editor_account, speaker):
    """The final or joint statement, as newsrooms name the speaker of a communiqué: aliases of
    the guarantor states in the demo registry."""
    from statements.models import Excerpt

    header = "outlet,source_headline,source_date,text,speaker,kind,round,topics\r\n"
    row = (
        "Enab Baladi,بناءً على التحرك العربي.. كازاخستان تدعو لقفل مسار “أستانة”,2023-06-21,"
        f'"تشديد على دور عملية ""استانة"" في حل مستدام في سوريا",{speaker},joint_statement,'
        "20,\r\n"
    )
    report = import_file("excerpts", (header + row).encode(), "cells.csv", user=editor_account)
    assert report.ok, report.problems
    excerpt = Excerpt.objects.get(text__startswith="تشديد على دور عملية")
    assert excerpt.speaker.slug == "guarantor-states"
