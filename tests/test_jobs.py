"""Work longer than a request runs in the background: big exports and imports become jobs that
the task worker (`manage.py db_worker`) does, with progress, a result and any failure's reason."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from astana_cms.editorial.models import AuditRecord
from astana_cms.jobs.models import Job
from astana_cms.jobs.work import start
from rounds.models import Round
from statements.models import Excerpt
from tests.factories import UserFactory

# The worker closes its database connection between tasks, as a real one does: these tests
# commit for real (and the migrations' rows are restored after each).
pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("english"),
]

REFERENCE = Path(__file__).resolve().parent.parent / "fixtures" / "astana_rounds.csv"


def work() -> None:
    """What `make worker` does, until the queue is empty."""
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO(), stderr=StringIO())


def test_a_big_export_is_prepared_in_the_background_for_its_asker_alone(client, demo, settings):
    settings.EXPORT_IN_REQUEST_MAX_ROWS = 5
    editor = UserFactory(username="asker", role="Editor")
    client.force_login(editor)
    pks = list(Excerpt.objects.values_list("pk", flat=True))
    response = client.post(
        reverse("admin:statements_excerpt_changelist"),
        {"action": "export_csv", "_selected_action": pks},
    )
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{job.pk}/change/")
    assert job.status == Job.Status.WAITING and job.user == editor  # nothing done in the request
    work()
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == (Job.Status.DONE, len(pks), len(pks))
    page = client.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()
    assert job.download_name in page
    download = client.get(reverse("admin:jobs_job_download", args=[job.pk]))
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    assert body.count("\n") == len(pks) + 1
    client.force_login(UserFactory(username="someone-else", role="Editor"))
    assert client.get(reverse("admin:jobs_job_download", args=[job.pk])).status_code == 404
    assert client.get(reverse("admin:jobs_job_changelist")).context["cl"].result_count == 0


def test_a_small_export_stays_in_the_request(client, demo):
    client.force_login(UserFactory(role="Editor"))
    pks = list(Excerpt.objects.values_list("pk", flat=True)[:3])
    response = client.post(
        reverse("admin:statements_excerpt_changelist"),
        {"action": "export_csv", "_selected_action": pks},
    )
    assert response.status_code == 200 and not Job.objects.exists()


def test_a_big_import_is_confirmed_into_the_background(client, venues, settings):
    settings.IMPORT_IN_REQUEST_MAX_ROWS = 10
    editor = UserFactory(username="desk", role="Editor")
    client.force_login(editor)
    url = reverse("admin:rounds_round_import")
    upload = SimpleUploadedFile(REFERENCE.name, REFERENCE.read_bytes())
    token = client.post(url, {"file": upload}).context["token"]
    response = client.post(url, {"token": token, "confirm": "1"})
    job = Job.objects.get()
    assert response["Location"].endswith(f"/{job.pk}/change/")
    assert Round.objects.count() == 0
    work()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.message
    assert "23 new" in job.message and (job.done, job.total) == (23, 23)
    assert Round.objects.count() == 23
    assert AuditRecord.objects.filter(action="import", user=editor).count() == 23


def test_a_job_that_fails_says_why(venues):
    editor = UserFactory(username="desk", role="Editor")
    expired = start(
        editor,
        "import",
        "astana_cms.imports.jobs.import_rows",
        kind="rounds",
        token="x" * 32,
        name="r.csv",
    )
    broken = start(editor, "export", "astana_cms.imports.jobs.export_rows", kind="nothing")
    work()
    expired.refresh_from_db()
    broken.refresh_from_db()
    assert (expired.status, expired.message) == (
        Job.Status.FAILED,
        "The uploaded file has expired: upload it again.",
    )
    assert broken.status == Job.Status.FAILED and broken.message.startswith("KeyError")
    assert broken.finished_at is not None


def test_a_big_file_is_checked_in_the_background_then_confirmed(client, venues, settings):
    settings.IMPORT_PREVIEW_IN_REQUEST_MAX_BYTES = 100  # the reference file is bigger
    editor = UserFactory(username="desk", role="Editor")
    client.force_login(editor)
    url = reverse("admin:rounds_round_import")
    upload = SimpleUploadedFile(REFERENCE.name, REFERENCE.read_bytes())
    response = client.post(url, {"file": upload})
    check = Job.objects.get()
    assert response["Location"].endswith(f"/{check.pk}/change/")
    page = client.get(response["Location"]).content.decode()
    assert "Confirm the import" not in page  # not checked yet
    work()
    check.refresh_from_db()
    assert check.status == Job.Status.DONE and "23 new" in check.message
    assert Round.objects.count() == 0  # a check writes nothing
    page = client.get(reverse("admin:jobs_job_change", args=[check.pk])).content.decode()
    assert "Confirm the import" in page
    client.post(url, {"token": check.params["token"], "confirm": "1"})
    assert Round.objects.count() == 23
    assert AuditRecord.objects.filter(action="import", user=editor).count() == 23


def test_a_big_file_with_problems_is_refused_by_its_check(client, venues, settings):
    settings.IMPORT_PREVIEW_IN_REQUEST_MAX_BYTES = 10
    client.force_login(UserFactory(username="desk", role="Editor"))
    bad = (Path(__file__).parent / "data" / "bad_rounds_date_and_venue.csv").read_bytes()
    client.post(reverse("admin:rounds_round_import"), {"file": SimpleUploadedFile("b.csv", bad)})
    work()
    check = Job.objects.get()
    assert check.status == Job.Status.FAILED and "Astna" in check.message
    page = client.get(reverse("admin:jobs_job_change", args=[check.pk])).content.decode()
    assert "Confirm the import" not in page
