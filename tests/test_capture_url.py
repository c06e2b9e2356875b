"""Capture from an address: pages served by a local HTTP server started here (the seed articles
wrapped in news-site HTML, tests/data/pages/), fetched under the address rules, kept as they
came, extracted, reviewed and confirmed."""

import gzip
import hashlib
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from astana_cms.editorial.models import AuditRecord, State
from astana_cms.jobs.models import Job
from statements import fetch
from statements.capture_url import capture_page, same_source
from statements.models import ArchivedPage, Outlet, Source
from statements.provenance import Capture
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

ROOT = Path(__file__).resolve().parent.parent
PAGES = Path(__file__).resolve().parent / "data" / "pages"
SEEDS = ROOT / "fixtures" / "seeds"


def seed_lines(name: str) -> list[str]:
    return [" ".join(line.split()) for line in (SEEDS / name).read_text("utf-8").split("\n")]


def article_lines(name: str, drop_first: int = 0) -> list[str]:
    """A seed's paragraphs without what the provenance heuristics mark as not the article's
    (captions, links, appeals, a body captured twice): what a page's extraction should give."""
    text = (SEEDS / name).read_text("utf-8")
    lines = [
        " ".join(text[b.start : b.end].split()) for b in Capture(text).blocks if not b.boilerplate
    ]
    return lines[drop_first:]


class Site(BaseHTTPRequestHandler):
    """A news site with every kind of page a capture meets."""

    slow_seconds = 3.0
    seen: list[tuple[str, str]] = []  # (path, Host header) of every request

    def log_message(self, *args) -> None:
        pass

    def send(self, body: bytes, content_type="text/html; charset=utf-8", status=200, **headers):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str, status=301) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        Site.seen.append((self.path, self.headers.get("Host", "")))
        path = unquote(self.path.split("?")[0])
        page = {
            "/politics/kazakhstan-astana-format": "enab-baladi-round-20.html",
            "/news/round-21": "round-21.html",
            "/news/lavrentiev": "lavrentiev-round-20.html",
            "/news/ministerial": "ministerial-2018-twice.html",
            "/أخبار/الجولة-21": "round-21.html",
        }.get(path)
        if page:
            self.send((PAGES / page).read_bytes())
        elif path == "/wire/round-11":  # Windows-1256, declared only in the page's <meta>
            self.send((PAGES / "wire-round-11.cp1256.html").read_bytes(), "text/html")
        elif path == "/old/lavrentiev":
            self.redirect("/news/lavrentiev")
        elif path == "/loop":
            self.redirect("/loop", 302)
        elif path == "/to-ftp":
            self.redirect("ftp://127.0.0.1/file")
        elif path == "/to-private":
            self.redirect("http://10.1.2.3/admin")
        elif path == "/gzip":
            body = gzip.compress((PAGES / "round-21.html").read_bytes())
            self.send(body, Content_Encoding="gzip")
        elif path == "/bomb":  # 50 MB of zeros in 50 KB
            self.send(gzip.compress(b"<p>" + b"0" * 50_000_000), Content_Encoding="gzip")
        elif path == "/big":
            self.send(b"<html><body>" + b"<p>\xd8\xa7</p>" * 200_000 + b"</body></html>")
        elif path == "/big-unannounced":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            for _ in range(300):
                self.wfile.write(b"<p>" + b"x" * 10_000 + b"</p>")
        elif path in ("/slow", "/a-bit-slow"):
            seconds = Site.slow_seconds if path == "/slow" else 1.5
            body = (PAGES / "round-21.html").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            pieces = 10
            size = len(body) // pieces + 1
            for start in range(0, len(body), size):
                try:
                    self.wfile.write(body[start : start + size])
                    self.wfile.flush()
                except OSError:
                    return  # the client gave up
                time.sleep(seconds / pieces)
        elif path == "/report.pdf":
            self.send(b"%PDF-1.4", "application/pdf")
        else:
            self.send(b"not here", "text/plain", status=404)


@pytest.fixture
def site(settings):
    """A local news site; private addresses allowed, as only tests and development may."""
    settings.CAPTURE_ALLOW_PRIVATE_ADDRESSES = True
    settings.CAPTURE_TIMEOUT = 10
    settings.CAPTURE_MAX_BYTES = 1024 * 1024
    Site.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def editor(db):
    return UserFactory(username="desk-editor", role="Editor")


ENAB = "000_6b73772203161856.txt"


# --- Fetched, kept, extracted ----------------------------------------------------------------


def test_a_news_page_is_kept_as_it_came_and_its_article_extracted(site, editor):
    page = capture_page(f"{site}/politics/kazakhstan-astana-format", editor)

    served = (PAGES / "enab-baladi-round-20.html").read_bytes()
    assert page.html_bytes == served  # the archived copy: the HTML exactly as fetched
    assert page.html_sha256 == hashlib.sha256(served).hexdigest()
    assert page.html_size == len(served) and len(bytes(page.html_gzip)) < len(served) // 2
    assert page.final_url == page.requested_url == f"{site}/politics/kazakhstan-astana-format"
    assert page.fetched_by == editor and page.fetched_at is not None
    assert (page.http_status, page.charset, page.source) == (200, "utf-8", None)

    # The article: its headline (the page's <h1>) and paragraphs with their subheadings; the
    # ticker, captions, font tools, related links, sharing buttons and the donation appeal are
    # left out, each said why.
    seed = article_lines(ENAB, drop_first=1)  # the first line is the site's news ticker
    assert page.extracted_text.split("\n") == seed
    assert page.extracted_title == seed_lines(ENAB)[2]
    assert str(page.extracted_date) == "2023-06-21"
    assert page.extracted_site_name == "عنب بلدي"
    assert page.extracted_language == "ar"
    why = {item["text"]: item["why"] for item in page.left_out}
    assert why["ادعم عنب بلدي"] == "appeal"
    assert why["مقالات متعلقة"] == "related"
    assert why["فيسبوك تويتر واتساب"] == "sharing"
    assert why[seed_lines(ENAB)[4]] == "caption"  # "الاجتماع الدولي … (روسيا اليوم)"
    assert "بيان الجولة الأخيرة" in next(t for t, w in why.items() if w == "ticker")
    assert not set(why) & set(page.extracted_text.split("\n"))


def test_a_windows_1256_page_is_read_in_its_own_encoding(site, editor):
    page = capture_page(f"{site}/wire/round-11", editor)
    assert page.charset == "windows-1256"  # declared only in the page's <meta>
    served = (PAGES / "wire-round-11.cp1256.html").read_bytes()
    assert page.html_bytes == served  # kept in its own encoding, as fetched
    name = "001_5529118f47f62c73.txt"
    # The body and its wire credit; the caption, "follow us" and most-read box left out.
    assert page.extracted_text.split("\n") == [*article_lines(name), "Reuters"]
    assert "اختُتمت اجتماعات الجولة الحادية عشرة" in page.extracted_text
    assert page.extracted_byline == "Reuters"  # the wire credit the page declares
    # The page states no date: none is guessed from the years its text mentions.
    assert page.extracted_date is None
    assert page.extracted_site_name == ""  # a host name is not an outlet's name


def test_a_page_that_redirects_is_kept_under_its_final_address(site, editor):
    page = capture_page(f"{site}/old/lavrentiev", editor)
    assert page.requested_url == f"{site}/old/lavrentiev"
    assert page.final_url == f"{site}/news/lavrentiev"
    assert "لافرنتييف" in page.extracted_text
    assert "مقال مفيد" not in page.extracted_text  # readers' comments are left out
    assert {item["why"] for item in page.left_out} >= {"comments", "navigation"}


def test_redirects_are_followed_within_limits_and_only_to_web_addresses(site, editor):
    with pytest.raises(fetch.FetchRefused, match="redirects more than 5 times"):
        capture_page(f"{site}/loop", editor)
    with pytest.raises(fetch.FetchRefused, match="Only http and https"):
        capture_page(f"{site}/to-ftp", editor)
    assert not ArchivedPage.objects.exists()


def test_a_body_on_the_page_twice_is_kept_once_and_marked(site, editor):
    page = capture_page(f"{site}/news/ministerial", editor)
    paragraphs = page.extracted_text.split("\n")
    assert len(paragraphs) == len(set(paragraphs))
    assert paragraphs == article_lines("004_ece4fd1bba93b40f.txt")  # the seed's first copy
    repeated = [item for item in page.left_out if item["why"] == "repeated"]
    assert len(repeated) == 11  # the second copy's paragraphs, each marked
    assert {item["why"] for item in page.left_out if "قد يهمك" in item["text"]} == {"related"}


def test_an_address_in_arabic_is_sent_as_browsers_send_it(site, editor):
    page = capture_page(f"{site}/أخبار/الجولة-21", editor)
    assert page.final_url == f"{site}/أخبار/الجولة-21"
    assert (
        Site.seen[0][0] == "/%D8%A3%D8%AE%D8%A8%D8%A7%D8%B1/%D8%A7%D9%84%D8%AC%D9%88%D9%84%D8%A9-21"
    )


def test_a_compressed_page_is_read_and_kept_uncompressed(site, editor):
    page = capture_page(f"{site}/gzip", editor)
    assert page.html_bytes == (PAGES / "round-21.html").read_bytes()


# --- Refused ---------------------------------------------------------------------------------


def test_a_slow_page_is_cut_off_at_the_deadline(site, settings, editor):
    settings.CAPTURE_TIMEOUT = 1
    began = time.monotonic()
    with pytest.raises(fetch.FetchTimedOut, match="took too long"):
        capture_page(f"{site}/slow", editor)
    assert time.monotonic() - began < 2.5  # the trickle is not waited out
    assert not ArchivedPage.objects.exists()


def test_an_oversized_page_is_refused(site, settings, editor):
    settings.CAPTURE_MAX_BYTES = 100_000
    for path in ("/big", "/big-unannounced", "/bomb"):
        with pytest.raises(fetch.FetchRefused, match=r"larger than 97\.7"):
            capture_page(f"{site}{path}", editor)
    assert not ArchivedPage.objects.exists()


def test_what_is_not_a_web_page_is_refused(site, editor):
    with pytest.raises(fetch.FetchRefused, match="application/pdf"):
        capture_page(f"{site}/report.pdf", editor)
    with pytest.raises(fetch.FetchRefused, match="HTTP 404"):
        capture_page(f"{site}/gone", editor)


@pytest.mark.parametrize(
    "address",
    [
        "http://127.0.0.1:{port}/news/round-21",  # the local site itself
        "http://localhost:{port}/news/round-21",
        "http://10.0.0.8/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
        "http://[::1]:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://[fe80::1]/",
        "http://0.0.0.0:{port}/",
        "http://224.0.0.1/",
    ],
)
def test_a_private_loopback_or_link_local_address_is_refused(site, settings, editor, address):
    settings.CAPTURE_ALLOW_PRIVATE_ADDRESSES = False
    port = site.rsplit(":", 1)[1]
    with pytest.raises(fetch.FetchRefused, match="is not fetched"):
        capture_page(address.format(port=port), editor)
    assert Site.seen == []  # no request ever left
    assert not ArchivedPage.objects.exists()


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("file:///etc/passwd", "Only http and https"),
        ("gopher://127.0.0.1/", "Only http and https"),
        ("http://editor:secret@127.0.0.1/", "user name or password"),
        ("http:///path-only", "names no host"),
    ],
)
def test_only_plain_web_addresses_are_fetched(editor, address, why):
    with pytest.raises(fetch.FetchRefused, match=why):
        capture_page(address, editor)


def only_loopback_is_public(address: str) -> str:
    """For the next tests: the local site stands for the public internet, and every other
    address is refused as private."""
    return "" if address == "127.0.0.1" else "a private, loopback or link-local address"


def test_every_redirect_is_checked_again(site, editor, monkeypatch):
    monkeypatch.setattr(fetch, "refusal_of", only_loopback_is_public)
    with pytest.raises(fetch.FetchRefused, match=r"“10\.1\.2\.3” is a private"):
        capture_page(f"{site}/to-private", editor)
    assert [path for path, _host in Site.seen] == ["/to-private"]


def test_the_connection_goes_to_the_address_that_was_checked(site, editor, monkeypatch):
    """DNS rebinding: a name that answers a public address when checked and a private one a
    moment later never reaches the private one: the checked address is the one connected to."""
    monkeypatch.setattr(fetch, "refusal_of", only_loopback_is_public)
    port = int(site.rsplit(":", 1)[1])
    answers = iter(["127.0.0.1"] + ["10.9.9.9"] * 10)
    real = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):
        if host == "news.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    page = capture_page(f"http://news.example:{port}/news/round-21", editor)
    assert page.final_url == f"http://news.example:{port}/news/round-21"
    assert Site.seen == [("/news/round-21", f"news.example:{port}")]  # the host named


def test_a_name_with_any_private_address_is_refused(site, editor, monkeypatch):
    monkeypatch.setattr(fetch, "refusal_of", only_loopback_is_public)
    port = int(site.rsplit(":", 1)[1])

    def two_addresses(host, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", two_addresses)
    with pytest.raises(fetch.FetchRefused, match=r"10\.0\.0\.5"):
        capture_page(f"http://mixed.example:{port}/news/round-21", editor)
    assert Site.seen == []


def test_private_addresses_are_never_allowed_in_production(settings):
    """The setting that lets tests reach a local server only takes effect in development."""
    import subprocess
    import sys

    script = (
        "import os; os.environ['CAPTURE_ALLOW_PRIVATE_ADDRESSES']='true';"
        "from django.conf import settings; import django; django.setup();"
        "print(settings.CAPTURE_ALLOW_PRIVATE_ADDRESSES)"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "astana_cms.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "x" * 50,
        "DATABASE_URL": "sqlite:///:memory:",
    }
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.stdout.strip().splitlines()[-1] == "False", out.stderr


# --- Reviewed and confirmed in the admin -----------------------------------------------------


def test_the_editor_reviews_the_extraction_beside_the_page_and_confirms(site, client, editor):
    outlet = Outlet.objects.create(
        slug="enab-baladi", name_ar="عنب بلدي", name_en="Enab Baladi", website=f"{site}/"
    )
    client.force_login(editor)
    changelist = client.get(reverse("admin:statements_source_changelist")).content.decode()
    assert reverse("admin:statements_source_capture") in changelist  # the button

    url = f"{site}/politics/kazakhstan-astana-format"
    response = client.post(reverse("admin:statements_source_capture"), {"url": url})
    page = ArchivedPage.objects.get()
    review = reverse("admin:statements_source_capture_review", args=[page.pk])
    assert response.status_code == 302 and response["Location"] == review
    assert not Source.objects.exists()  # nothing is a source before the review

    response = client.get(review)
    assert response.status_code == 200
    html = response.content.decode()
    framed = reverse("admin:statements_source_archived_page", args=[page.pk])
    assert f'<iframe src="{framed}" sandbox=""' in html  # the page, sandboxed
    assert "ادعم عنب بلدي" in html  # listed as left out, escaped
    assert "<script" not in html.split("<iframe")[0].split("</head>")[1]
    form = response.context["form"]
    assert form.initial["outlet"] == outlet  # matched by the site's domain
    assert str(form.initial["published_on"]) == "2023-06-21"

    archived = client.get(framed)
    assert archived.content == (PAGES / "enab-baladi-round-20.html").read_bytes()
    policy = archived["Content-Security-Policy"]
    assert policy.startswith("sandbox;") and "default-src 'none'" in policy
    assert "script-src" not in policy and "frame-ancestors 'self'" in policy
    assert archived["X-Frame-Options"] == "SAMEORIGIN"

    # A browser's textarea sends CRLF line ends: the capture is stored with LF ones.
    crlf = page.extracted_text.replace("\n", "\r\n")
    response = client.post(
        review,
        {
            "headline": page.extracted_title,
            "published_on": "2023-06-21",
            "byline": "",
            "language": "ar",
            "outlet": outlet.pk,
            "text": crlf,
            "notes": "التقاط من الموقع\r\nبعد مراجعة النص",
            "confirm": "1",
        },
    )
    source = Source.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:statements_source_suggestions", args=[source.pk])
    assert source.text == page.extracted_text and "\r" not in source.text
    assert source.notes == "التقاط من الموقع\nبعد مراجعة النص"
    assert source.text_matches_hash and source.state == State.DRAFT
    assert (source.url, source.outlet, source.headline) == (url, outlet, page.extracted_title)
    assert source.captured_at == page.fetched_at
    page.refresh_from_db()
    assert page.source == source and not page.text_edited
    record = AuditRecord.for_entry(source).get()
    assert (record.action, record.user) == (AuditRecord.Action.CREATE, editor)
    assert source.suggestions.count() > 0  # its passages, suggested at once
    change = client.get(reverse("admin:statements_source_change", args=[source.pk]))
    assert "the page as fetched is kept" in change.content.decode()


def test_an_outlet_the_registry_lacks_is_proposed_and_created_on_confirmation(site, client, editor):
    client.force_login(editor)
    client.post(
        reverse("admin:statements_source_capture"),
        {"url": f"{site}/politics/kazakhstan-astana-format"},
    )
    page = ArchivedPage.objects.get()
    review = reverse("admin:statements_source_capture_review", args=[page.pk])
    form = client.get(review).context["form"]
    assert form.initial["outlet"] is None
    assert form.initial["new_outlet_name_ar"] == "عنب بلدي"  # the site's own name
    data = {
        "headline": page.extracted_title,
        "language": "ar",
        "text": page.extracted_text,
        "new_outlet_name_ar": "عنب بلدي",
        "new_outlet_name_en": "Enab Baladi",
        "confirm": "1",
    }
    client.post(review, data)
    source = Source.objects.get()
    assert (source.outlet.name_en, source.outlet.slug) == ("Enab Baladi", "enab-baladi")
    assert source.outlet.website == f"{site}/"


def test_a_page_fetched_twice_is_the_same_source(site, editor):
    from statements.capture_url import CaptureRefused, confirm, confirmation_of

    first = capture_page(f"{site}/news/round-21", editor)
    source = confirm(first, editor, confirmation_of(first))
    again = capture_page(f"{site}/news/round-21", editor)
    assert same_source(again) == source  # the same address
    elsewhere = capture_page(f"{site}/news/round-21?utm_source=newsletter", editor)
    assert same_source(elsewhere) == source  # the same text, from another address
    with pytest.raises(CaptureRefused, match=f"already captured: source #{source.pk}"):
        confirm(elsewhere, editor, confirmation_of(elsewhere))
    assert Source.objects.count() == 1


def test_the_review_of_a_page_already_captured_offers_no_confirmation(site, client, editor):
    from statements.capture_url import confirm, confirmation_of

    first = capture_page(f"{site}/news/round-21", editor)
    source = confirm(first, editor, confirmation_of(first))
    client.force_login(editor)
    client.post(reverse("admin:statements_source_capture"), {"url": f"{site}/news/round-21"})
    page = ArchivedPage.objects.filter(source=None).get()
    review = reverse("admin:statements_source_capture_review", args=[page.pk])
    html = client.get(review).content.decode()
    assert f"it is source #{source.pk}" in html and 'name="confirm"' not in html
    response = client.post(review, {"language": "ar", "text": page.extracted_text, "confirm": "1"})
    assert response.status_code == 200 and Source.objects.count() == 1


def test_a_verifier_does_not_capture_but_sees_the_archived_page(site, client, editor):
    page = capture_page(f"{site}/news/round-21", editor)
    client.force_login(UserFactory(username="checker", role="Verifier"))
    assert client.get(reverse("admin:statements_source_capture")).status_code == 403
    review = reverse("admin:statements_source_capture_review", args=[page.pk])
    assert client.get(review).status_code == 403
    assert client.post(review, {"discard": "1"}).status_code == 403
    framed = reverse("admin:statements_source_archived_page", args=[page.pk])
    assert client.get(framed).status_code == 200  # the evidence, for checking a source
    changelist = client.get(reverse("admin:statements_source_changelist")).content.decode()
    assert reverse("admin:statements_source_capture") not in changelist
    assert ArchivedPage.objects.filter(pk=page.pk).exists()


def test_a_refused_address_is_told_on_the_form(site, client, editor, settings):
    settings.CAPTURE_ALLOW_PRIVATE_ADDRESSES = False
    client.force_login(editor)
    response = client.post(
        reverse("admin:statements_source_capture"), {"url": f"{site}/news/round-21"}
    )
    assert response.status_code == 200
    assert "is not fetched" in str(response.context["form"].errors["url"])


def test_a_capture_can_be_discarded(site, client, editor):
    page = capture_page(f"{site}/news/round-21", editor)
    client.force_login(editor)
    review = reverse("admin:statements_source_capture_review", args=[page.pk])
    response = client.post(review, {"discard": "1"})
    assert response.status_code == 302 and not ArchivedPage.objects.exists()


def test_an_archived_page_is_never_changed():
    page = ArchivedPage.keep(
        b"<html><body><p>x</p></body></html>",
        requested_url="https://news.example/a",
        final_url="https://news.example/a",
        fetched_at="2024-01-25T10:00:00Z",
        http_status=200,
        charset="utf-8",
        extracted_text="x",
    )
    page.extracted_text = "y"
    with pytest.raises(ValueError, match="kept as it was fetched"):
        page.save()
    with pytest.raises(ValueError, match="kept as it was fetched"):
        page.save(update_fields=["extracted_text"])


# --- The command line and batches ------------------------------------------------------------


def test_capture_source_makes_drafts_from_the_command_line(site, editor):
    out, err = StringIO(), StringIO()
    call_command(
        "capture_source",
        f"{site}/news/round-21",
        f"{site}/wire/round-11",
        "--user",
        editor.username,
        stdout=out,
        stderr=err,
    )
    sources = list(Source.objects.order_by("pk"))
    assert [s.url for s in sources] == [f"{site}/news/round-21", f"{site}/wire/round-11"]
    assert all(s.state == State.DRAFT and s.created_by == editor for s in sources)
    assert sources[1].byline == "Reuters" and sources[1].published_on is None
    assert "no outlet of the registry has" in out.getvalue()
    assert all(s.archived_pages.count() == 1 for s in sources)

    out = StringIO()
    with pytest.raises(CommandError, match="1 of 2 addresses were not captured"):
        call_command(
            "capture_source",
            f"{site}/news/round-21",
            f"{site}/report.pdf",
            "--user",
            editor.username,
            stdout=out,
            stderr=StringIO(),
        )
    assert f"already captured as source #{sources[0].pk}" in out.getvalue()
    assert Source.objects.count() == 2


def test_capture_source_can_leave_pages_for_review(site, editor):
    out = StringIO()
    call_command(
        "capture_source",
        f"{site}/news/lavrentiev",
        "--user",
        editor.username,
        "--review",
        stdout=out,
    )
    page = ArchivedPage.objects.get()
    assert page.source is None
    assert reverse("admin:statements_source_capture_review", args=[page.pk]) in out.getvalue()


def work() -> None:
    """What `make worker` does, until the queue is empty."""
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO(), stderr=StringIO())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_slow_page_is_fetched_in_the_background_with_progress(site, client, settings):
    settings.CAPTURE_IN_REQUEST_TIMEOUT = 0.5
    editor = UserFactory(username="slow-desk", role="Editor")
    client.force_login(editor)
    response = client.post(
        reverse("admin:statements_source_capture"), {"url": f"{site}/a-bit-slow"}
    )
    job = Job.objects.get()
    waiting = reverse("admin:statements_source_capture_job", args=[job.pk])
    assert response["Location"] == waiting
    page = client.get(waiting)
    assert page.status_code == 200 and '<meta http-equiv="refresh"' in page.content.decode()
    assert not ArchivedPage.objects.exists()

    work()
    job.refresh_from_db()
    size = len((PAGES / "round-21.html").read_bytes())
    assert (job.status, job.done, job.total) == (Job.Status.DONE, size, size)  # bytes read
    archived = ArchivedPage.objects.get()
    assert archived.fetched_by == editor and archived.final_url == f"{site}/a-bit-slow"
    response = client.get(waiting)
    assert response["Location"] == reverse(
        "admin:statements_source_capture_review", args=[archived.pk]
    )
    client.force_login(UserFactory(username="another-desk", role="Editor"))
    assert client.get(waiting).status_code == 404  # a job is its asker's


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_spreadsheet_of_addresses_is_a_batch_of_captures(site, client):
    editor = UserFactory(username="batch-desk", role="Editor")
    client.force_login(editor)
    sheet = "url\n" + "\n".join(
        [f"{site}/news/round-21", f"{site}/news/lavrentiev", f"{site}/report.pdf", ""]
    )
    upload = SimpleUploadedFile("addresses.csv", sheet.encode("utf-8"))
    response = client.post(reverse("admin:statements_source_capture"), {"file": upload})
    job = Job.objects.get()
    assert response["Location"] == reverse("admin:statements_source_capture_job", args=[job.pk])
    work()
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == (Job.Status.DONE, 3, 3)
    assert ArchivedPage.objects.filter(source=None).count() == 2
    html = client.get(reverse("admin:statements_source_capture_job", args=[job.pk]))
    html = html.content.decode()
    assert html.count("/capture/") >= 2 and "application/pdf" in html
    listed = client.get(reverse("admin:statements_source_capture")).context["pending"]
    assert len(listed) == 2


def test_a_spreadsheet_that_is_not_addresses_is_refused(client, editor):
    client.force_login(editor)
    upload = SimpleUploadedFile("addresses.csv", b"url\nnot an address\n")
    response = client.post(reverse("admin:statements_source_capture"), {"file": upload})
    assert response.status_code == 200
    assert re.search(
        "row 2: .*not an http or https address", str(response.context["sheet_form"].errors)
    )
    assert not Job.objects.exists()
