"""Every user-facing string has its Arabic translation."""

import re
from pathlib import Path

from django.conf import settings

PO = Path(settings.BASE_DIR) / "locale" / "ar" / "LC_MESSAGES" / "django.po"


def entries(text: str):
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#")]
        if not lines:
            continue
        joined = "\n".join(lines)
        msgid = "".join(re.findall(r'"(.*)"', joined.split("msgstr", 1)[0]))
        translations = re.split(r"^msgstr(?:\[\d\])? ", joined, flags=re.M)[1:]
        yield msgid, ["".join(re.findall(r'"(.*)"', t)) for t in translations]


def test_every_string_is_translated_to_arabic():
    text = PO.read_text(encoding="utf-8")
    untranslated = [msgid for msgid, strs in entries(text) if msgid and not all(strs)]
    assert untranslated == []
    assert "#, fuzzy" not in text.split("\n\n", 1)[1]


def test_the_compiled_catalogue_is_committed_beside_it():
    assert PO.with_suffix(".mo").stat().st_size > 0


def msgids(text: str) -> set[str]:
    return {msgid for msgid, _strs in entries(text) if msgid}


def test_the_catalogue_holds_exactly_the_strings_of_the_code():
    """makemessages would add or drop nothing: no new string waits untranslated, and no
    translation of a string the code no longer has is kept."""
    from django.core.management import call_command

    committed = PO.read_text(encoding="utf-8")
    try:
        call_command(
            "makemessages",
            locale=["ar"],
            ignore_patterns=[".venv", "tests", "bench"],  # as `make messages`
            verbosity=0,
        )
        regenerated = PO.read_text(encoding="utf-8")
    finally:
        PO.write_text(committed, encoding="utf-8")  # the test leaves the catalogue as it was
    live = {m for m in msgids(regenerated) if not m.startswith("#~")}
    obsolete = {
        msgid
        for block in regenerated.split("\n\n")
        if block.startswith("#~")
        for msgid, _strs in entries(block.replace("#~ ", ""))
    }
    assert live - msgids(committed) == set(), "strings the catalogue lacks: run make messages"
    assert obsolete == set(), "translations of strings the code no longer has: run make messages"
