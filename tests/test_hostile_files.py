"""Hostile files: each is refused with a clear message, writes nothing, and stays far below
300 MB of memory while it is refused (measured in a subprocess of its own). The files are built
here, at test time: a few kilobytes on disk that claim or unpack to gigabytes."""

import io
import json
import os
import subprocess
import sys
import zipfile
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from tests.helpers import database_snapshot, import_file

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english", "venues", "editor_account")]

MEMORY_CAP_MB = 300
SHEET = "xl/worksheets/sheet1.xml"
HEADER = ["kind", "number", "name_en", "name_ar", "start_date", "end_date", "city_en", "city_ar"]


def workbook(sheet_xml=None) -> bytes:
    """A real workbook of the rounds' columns, its sheet's XML replaced by `sheet_xml` (bytes, or
    a function that writes the XML into the open zip member, for parts of gigabytes)."""
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.active.append(
        ["round", 1, "Astana 1", "أستانا 1", "2017-01-23", "2017-01-24", "Astana", "أستانا"]
    )
    plain = io.BytesIO()
    book.save(plain)
    if sheet_xml is None:
        return plain.getvalue()
    source, out = zipfile.ZipFile(plain), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            if member.filename != SHEET:
                target.writestr(member, source.read(member))
            elif callable(sheet_xml):
                with target.open(SHEET, "w", force_zip64=True) as part:
                    sheet_xml(part)
            else:
                target.writestr(SHEET, sheet_xml)
    return out.getvalue()


def sheet(rows_xml: str, dimension: str = "A1:H2", doctype: str = "") -> bytes:
    return (
        f'<?xml version="1.0"?>{doctype}<worksheet xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{rows_xml}'
        "</sheetData></worksheet>"
    ).encode()


def header_row() -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{name}</t></is></c>'
        for i, name in enumerate(HEADER)
    )
    return f'<row r="1">{cells}</row>'


def far_cell() -> bytes:
    return sheet(
        header_row() + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
        dimension="A1:XFD1048576",
    )


def whitespace(part) -> None:
    """A sheet padded with 600 MB of spaces: 0.6 MB on disk."""
    part.write(
        b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheetData>'
    )
    chunk = b" " * 2**20
    for _ in range(600):
        part.write(chunk)
    part.write(b"</sheetData></worksheet>")


def long_string(part) -> None:
    """One cell of 600 MB: what a 1.5 GB shared string does, at a test's size."""
    part.write(
        b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheetData>' + header_row().encode()
    )
    part.write(b'<row r="2"><c r="C2" t="inlineStr"><is><t>')
    chunk = b"a" * 2**20
    for _ in range(600):
        part.write(chunk)
    part.write(b"</t></is></c></row></sheetData></worksheet>")


def long_cell() -> bytes:
    """A cell over the per-cell limit (2 million characters), inside the unpacked limit."""
    return sheet(
        header_row()
        + '<row r="2"><c r="C2" t="inlineStr"><is><t>'
        + "a" * 2_000_001
        + "</t></is></c></row>"
    )


XXE = '<!DOCTYPE worksheet [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
LAUGHS = (
    "<!DOCTYPE worksheet ["
    + '<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)


def entity_sheet(doctype: str, entity: str) -> bytes:
    return sheet(
        header_row() + f'<row r="2"><c r="C2" t="inlineStr"><is><t>&{entity};</t></is></c></row>',
        doctype=doctype,
    )


HOSTILE = {
    "far-cell.xlsx": (lambda: workbook(far_cell()), "The sheet declares 16384 columns"),
    "whitespace.xlsx": (lambda: workbook(whitespace), "The workbook unpacks to 600.0 MB"),
    "long-string.xlsx": (lambda: workbook(long_string), "The workbook unpacks to 600.0 MB"),
    "long-cell.xlsx": (lambda: workbook(long_cell()), "a cell holds 2000001 characters"),
    "xxe.xlsx": (lambda: workbook(entity_sheet(XXE, "secret")), "is not an Excel workbook"),
    "laughs.xlsx": (lambda: workbook(entity_sheet(LAUGHS, "lol9")), "is not an Excel workbook"),
    "truncated.xlsx": (lambda: workbook()[:-200], "is not an Excel workbook"),
    "garbage.csv": (lambda: os.urandom(4096), "The file is not a text (CSV) file."),
    "garbage.xlsx": (lambda: os.urandom(4096), "is not an Excel workbook"),
    "nul-in-text.csv": (
        lambda: (",".join(HEADER) + '\nround,1,"Astana 1\x00,x').encode(),
        "The file is not a text (CSV) file.",
    ),
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    for name, (build, _message) in HOSTILE.items():
        (folder / name).write_bytes(build())
    return folder


def refused_in_a_process_of_its_own(path: Path) -> tuple[str, float]:
    """The reader's refusal of `path` and the peak memory of the process that read it (MB)."""
    code = (
        "import sys, django; django.setup()\n"
        "from django.utils import translation; translation.activate('en')\n"
        "from astana_cms.imports.reader import SheetError, read_sheet\n"
        "from rounds.resources import ROUND_COLUMNS\n"
        "path = sys.argv[1]\n"
        "try:\n"
        "    read_sheet(open(path, 'rb').read(), path, ROUND_COLUMNS)\n"
        "    message = 'READ WITHOUT A PROBLEM'\n"
        "except SheetError as error:\n"
        "    message = str(error)\n"
        "print(message)\n"
        # VmHWM is this program's own peak; ru_maxrss keeps the forking parent's across exec,
        # so a large test process would be counted as the reader's.
        "status = open('/proc/self/status').read().split('VmHWM:')[1].split()[0]\n"
        "print(int(status) / 1024)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        env={**env, "DJANGO_SETTINGS_MODULE": "astana_cms.settings", "LANGUAGE": "en"},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    *message, peak = result.stdout.strip().splitlines()
    return "\n".join(message), float(peak)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_file_is_refused_in_bounded_memory(hostile, name):
    message, peak = refused_in_a_process_of_its_own(hostile / name)
    assert HOSTILE[name][1] in message
    assert peak < MEMORY_CAP_MB, f"{name}: {peak:.0f} MB"


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_file_writes_nothing_and_says_why(hostile, name):
    before = database_snapshot()
    report = import_file("rounds", (hostile / name).read_bytes(), name)
    assert not report.ok and not report.written
    assert HOSTILE[name][1] in " ".join(map(str, report.problems))
    assert database_snapshot() == before


def test_the_command_line_gives_a_message_not_a_traceback(hostile):
    out = StringIO()
    with pytest.raises(CommandError, match="not imported"):
        call_command(
            "import_sheet",
            "--user",
            "editor",
            "rounds",
            str(hostile / "xxe.xlsx"),
            "--no-progress",
            stdout=out,
            stderr=out,
        )
    assert "is not an Excel workbook" in out.getvalue()
    assert "Traceback" not in out.getvalue()


def test_the_admin_gives_a_page_not_a_500(client, hostile):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from tests.factories import UserFactory

    client.force_login(UserFactory(role="Editor"))
    for name in ("far-cell.xlsx", "laughs.xlsx", "garbage.csv"):
        upload = SimpleUploadedFile(name, (hostile / name).read_bytes())
        response = client.post(reverse("admin:rounds_round_import"), {"file": upload})
        assert response.status_code == 200, name
        assert HOSTILE[name][1] in response.content.decode(), name


def test_a_truncated_archive_is_a_message_not_a_traceback(tmp_path):
    archive = tmp_path / "astana.json.gz"
    call_command("export_archive", str(archive), stdout=StringIO())
    truncated = tmp_path / "truncated.json.gz"
    truncated.write_bytes(archive.read_bytes()[:-40])
    with pytest.raises(CommandError):
        call_command("import_archive", str(truncated), stdout=StringIO())
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"format": "astana-cms-archive"})[:-5], encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_archive", str(broken), stdout=StringIO())
