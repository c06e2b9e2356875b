"""The shared Arabic-aware normaliser and its map back to the original text."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from astana_cms.text import _fold_char, fold, normalise


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("أستانة", "استانه"),  # hamza on alef, taa marbuta
        ("أستانا", "استانا"),
        ("إدلب", "ادلب"),
        ("آلاف", "الاف"),
        ("ٱلله", "الله"),
        ("مستشفى", "مستشفي"),  # alef maqsura
        ("عسكريًا", "عسكريا"),  # tanween
        ("المشرّفة", "المشرفه"),  # shadda
        ("اختُتمت", "اختتمت"),  # damma
        ("سوريــــا", "سوريا"),  # tatweel
        ("٢١ حزيران ٢٠٢٣", "21 حزيران 2023"),  # Arabic-Indic digits
        ("۲۲۵۴", "2254"),  # Persian digits
        ("“2254”", '"2254"'),
        ("«أستانة»", '"استانه"'),
        ("‘نعم’", "'نعم'"),
        ("أستانة– 21", "استانه- 21"),
        ("كلمة  \t\n كلمة", "كلمه كلمه"),
        ("\u200fأستانا\u200e", "استانا"),
        ("Nur-Sultan", "nur-sultan"),
        ("کازاخستان", "كازاخستان"),
    ],
)
def test_folds_what_arabic_writers_vary_on(typed, folded):
    assert fold(typed) == folded


def test_spelling_variants_of_the_seeds_meet():
    assert fold("أستانة") != fold("أستانا")  # taa marbuta and alef stay distinct letters
    assert fold("جاويش أوغلو") != fold("جاووش أوغلو")  # a different spelling: aliases, not folding


def test_a_match_in_folded_text_gives_exact_original_offsets():
    original = "قال: «الحلُّ في سوريّا ليس عسكريًّا» ثم غادر."
    folded = normalise(original)
    [(start, end)] = folded.find_all(fold("الحل في سوريا ليس عسكريا"))
    assert original[start:end] == "الحلُّ في سوريّا ليس عسكريًّا"


def test_the_span_keeps_a_final_letters_diacritics():
    original = "هذا قرارٌ نهائيٌّ."
    [(start, end)] = normalise(original).find_all(fold("قرار نهائي"))
    assert original[start:end] == "قرارٌ نهائيٌّ"


def test_find_all_counts_every_occurrence():
    folded = normalise("أستانة ثم أستانه ثم استانة")
    assert len(folded.find_all(fold("أستانة"))) == 3


def test_spans_outside_the_folded_text_are_refused():
    with pytest.raises(ValueError):
        normalise("نص").original_span(1, 1)


arabic_and_more = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),
        st.sampled_from(" \t\n\u00a0\u200e\u200f\u200b\ufeff“”«»–—ـ"),
        st.characters(codec="utf-8"),
    ),
    max_size=60,
)


@given(arabic_and_more, st.data())
@example("İstanbul أستانة", None)
@example("a \u200f b", None)
def test_any_folded_span_maps_back_to_original_text_that_folds_to_it(original, data):
    folded = normalise(original)
    assert len(folded.origins) == len(folded.text)
    assert list(folded.origins) == sorted(set(folded.origins))
    assert all(0 <= i < len(original) for i in folded.origins)
    if not folded.text:
        return
    if data is None:
        spans = [(0, len(folded.text))]
    else:
        start = data.draw(st.integers(0, len(folded.text) - 1))
        end = data.draw(st.integers(start + 1, len(folded.text)))
        spans = [(start, end)]
    for start, end in spans:
        original_start, original_end = folded.original_span(start, end)
        assert 0 <= original_start < original_end <= len(original)
        assert normalise(original[original_start:original_end]).text == folded.text[start:end]


@given(arabic_and_more)
def test_folding_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


def reference_normalise(original: str) -> tuple[str, tuple[int, ...]]:
    """The normaliser as first written, a character at a time: what the fast one must equal."""
    chars: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(original):
        folded = _fold_char(char)
        if not folded:
            continue
        if folded == " " and chars and chars[-1] == " ":
            continue
        chars.append(folded)
        origins.append(index)
    return "".join(chars), tuple(origins)


@given(arabic_and_more)
@example(" \u064e  \u200f\n\tأ  ")
@example("İstanbul  أستانة")
def test_the_whole_text_normaliser_equals_the_character_by_character_one(text):
    folded = normalise(text)
    assert (folded.text, folded.origins) == reference_normalise(text)
    assert fold(text) == reference_normalise(text)[0].strip()


@pytest.mark.django_db
def test_the_databases_fold_is_the_same_as_pythons():
    """`astana_fold` (SQL on PostgreSQL, this module on SQLite) folds every character the
    tables name, and text around them, exactly as `fold` does."""
    from django.db import connection

    from astana_cms.text import _REMOVED, _REPLACED, FOLD_FUNCTION

    samples = [
        "".join(_REPLACED),
        "".join(map(chr, sorted(_REMOVED))),
        "وزيرُ الخارجيةِ التركيّ جاويش أوغلو – «مسار أستانة» ٢٠١٧",
        "Mevlüt ÇAVUŞOĞLU said “Astana” — 2254",
        "ـمرحباـ ی ک ى ة آ إ أ ٱ",
        "",
    ]
    for sample in samples:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {FOLD_FUNCTION}(%s)", [sample])
            (in_the_database,) = cursor.fetchone()
        assert in_the_database == fold(sample), sample
