"""Capturing a source from its address: fetch, keep, extract, review, confirm.

1. The page is fetched under the address rules of statements/fetch.py and kept exactly as sent
   (an ArchivedPage: gzip-compressed HTML, its SHA-256, when, from where, after which
   redirects).
2. The article is extracted with maintained tools made for it: trafilatura for the text,
   headline, byline and site name; htmldate for the publication date, from the page's markup
   only (never a year guessed from the body's words). What the extraction left out of the page
   (navigation, captions, "read also" boxes, appeals, a body repeated) is listed with why.
3. The editor reviews the extraction beside the page and confirms: the confirmed text is the
   capture (immutable, hashed), the source a draft written by the editor, through the workflow.
   The outlet is the registry's by the page's domain (or the site's own name), or a new one the
   editor confirms.

A page whose address or text is already a source's is recognised as that source, never
captured twice. A slow page is fetched by the task worker, with progress; so is a spreadsheet
of addresses (one pending capture each, to review).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from astana_cms.editorial import workflow
from astana_cms.text import fold

from .fetch import FetchRefused, Progress, fetch
from .models import ArchivedPage, Outlet, Source, sha256_of

MAX_LEFT_OUT = 200  # blocks of a page listed as left out, at most
MAX_LEFT_OUT_CHARS = 400  # of each


class CaptureRefused(Exception):
    """A capture that cannot be confirmed, and why."""


# --- Extraction ------------------------------------------------------------------------------


@dataclass
class Extraction:
    text: str
    title: str = ""
    date: datetime.date | None = None
    byline: str = ""
    site_name: str = ""
    language: str = ""
    left_out: list[dict] = field(default_factory=list)


_SKIPPED_TAGS = {"script", "style", "noscript", "template", "head", "svg", "iframe", "select"}
_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "td", "th",
    "thead", "tr", "ul", "button",
}  # fmt: skip
# Why a block of the page is not the article's, from the markup around it (tag, class, id).
_WHY = [
    (re.compile(r"\b(nav|menu|breadcrumbs?|top-bar)\b"), "navigation"),
    (re.compile(r"\b(figcaption|caption|photo|lightbox|wp-caption-text|gallery)"), "caption"),
    (re.compile(r"\b(aside|related|read-also|inline-related|most-read|more-news)\b"), "related"),
    (re.compile(r"(donat|support-us|appeal|newsletter|subscribe)"), "appeal"),
    (re.compile(r"\b(share|social|follow|tags?)\b|share-buttons|follow-us"), "sharing"),
    (re.compile(r"\bcomments?\b"), "comments"),
    (re.compile(r"(ticker|breaking|marquee)"), "ticker"),
    (re.compile(r"\b(entry-meta|byline|dateline|published|time)\b"), "metadata"),
    (re.compile(r"\b(header|footer|copyright|site-footer|site-header|font-tools)\b"), "furniture"),
]


def why_label(why: str) -> str:
    """What the editor reads for a left-out block's reason."""
    return {
        "navigation": _("navigation"),
        "caption": _("photo caption"),
        "related": _("“read also” and related links"),
        "appeal": _("donation or newsletter appeal"),
        "sharing": _("sharing buttons and tags"),
        "comments": _("readers’ comments"),
        "ticker": _("news ticker"),
        "furniture": _("page header, footer or tools"),
        "metadata": _("the page’s date or byline line"),
        "repeated": _("the article’s text again (repeated body)"),
        "outside": _("outside the article"),
    }.get(why, why)


def extract(html: str, url: str) -> Extraction:
    """The article's text and metadata, and what of the page was left out."""
    import htmldate
    import trafilatura

    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        deduplicate=False,
    )
    tree = trafilatura.load_html(html)
    paragraphs, left_out, seen = [], [], set()
    for line in (getattr(document, "text", None) or "").split("\n"):
        line = " ".join(line.split())
        if not line:
            continue
        key = fold(line)
        if len(key) > 80 and key in seen:  # the body on the page twice: kept once
            left_out.append({"text": line[:MAX_LEFT_OUT_CHARS], "why": "repeated"})
            continue
        seen.add(key)
        paragraphs.append(line)
    text = "\n".join(paragraphs)
    title = " ".join((getattr(document, "title", None) or "").split())[:500]
    if tree is not None:
        left_out += _left_out(tree, "\n".join(map(fold, paragraphs)), title)
    date = None
    found = htmldate.find_date(html, url=url, original_date=True, extensive_search=False)
    if found:
        date = datetime.date.fromisoformat(found)
    host = urlsplit(url).netloc.lower()
    site_name = " ".join((getattr(document, "sitename", None) or "").split())
    if site_name.lower() in (host, host.removeprefix("www.")) or re.fullmatch(
        r"[\w.-]+(:\d+)?", site_name
    ):
        site_name = ""  # a host name is not the outlet's name
    return Extraction(
        text=text,
        title=title,
        date=date,
        byline=(getattr(document, "author", None) or _meta_author(tree))[:300],
        site_name=site_name[:300],
        language=_language(tree),
        left_out=left_out[:MAX_LEFT_OUT],
    )


def _meta_author(tree) -> str:
    """The page's declared author when trafilatura finds none (it passes over one-word names,
    which is what wire copy carries: «Reuters»)."""
    if tree is None:
        return ""
    for content in tree.xpath('//meta[@name="author" or @property="article:author"]/@content'):
        content = " ".join(str(content).split())
        if content and "://" not in content:
            return content
    return ""


def _language(tree) -> str:
    if tree is None:
        return ""
    root = tree.getroottree().getroot()
    return (root.get("lang") or root.get("xml:lang") or "").split("-")[0].strip().lower()[:16]


def _left_out(tree, extracted: str, title: str = "") -> list[dict]:
    """The page's blocks of text the extraction did not keep, each with why (read from the
    markup around it); a long block the page shows twice is the article's body again."""
    body = tree.find(".//body")
    lines = set(extracted.split("\n"))
    whole = " ".join(lines)
    found, listed, kept = [], {fold(title)}, set()
    for text, ancestry in _blocks(body if body is not None else tree, ""):
        key = fold(text)
        if not re.search(r"\w", key):
            continue
        # A paragraph of the article (a short one must be a whole line of the extraction).
        if key in lines or (len(key) > 40 and key in whole):
            if len(key) > 80 and key in kept:
                found.append({"text": text[:MAX_LEFT_OUT_CHARS], "why": "repeated"})
            kept.add(key)
            continue
        if key in listed:
            continue
        listed.add(key)
        why = next((why for pattern, why in _WHY if pattern.search(ancestry)), "outside")
        found.append({"text": text[:MAX_LEFT_OUT_CHARS], "why": why})
    return found


def _describe(element) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    return " ".join(
        filter(None, [tag, element.get("class", ""), element.get("id", ""), element.get("role")])
    ).lower()


def _blocks(element, ancestry: str):
    """(text, description of where it stands) of each run of text between blocks."""
    ancestry = f"{ancestry} {_describe(element)}"
    run = [element.text or ""]
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if not tag or tag in _SKIPPED_TAGS:
            run.append(child.tail or "")
            continue
        if tag in _BLOCK_TAGS:
            text = " ".join("".join(run).split())
            if text:
                yield text, ancestry
            yield from _blocks(child, ancestry)
            run = [child.tail or ""]
        else:
            run.append(child.text_content() + (child.tail or ""))
    text = " ".join("".join(run).split())
    if text:
        yield text, ancestry


# --- Fetching and keeping --------------------------------------------------------------------


def capture_page(
    url: str, user, *, timeout: float | None = None, progress: Progress | None = None
) -> ArchivedPage:
    """Fetch `url`, keep the page as it came and what its extraction proposes: a capture
    waiting for an editor's review. Raises FetchRefused."""
    url = url.strip()
    if len(url) > 2000:
        raise FetchRefused(_("The address is longer than 2,000 characters."))
    fetched = fetch(url, timeout=timeout, progress=progress)
    extraction = extract(fetched.html(), fetched.final_url)
    if not extraction.text.strip():
        raise FetchRefused(_("No article text was found on the page."))
    return ArchivedPage.keep(
        fetched.body,
        requested_url=fetched.requested_url,
        final_url=fetched.final_url,
        fetched_at=fetched.fetched_at,
        fetched_by=user if user is not None and user.is_authenticated else None,
        http_status=fetched.status,
        content_type=fetched.content_type[:200],
        charset=fetched.charset,
        extracted_text=extraction.text,
        extracted_title=extraction.title,
        extracted_date=extraction.date,
        extracted_byline=extraction.byline,
        extracted_site_name=extraction.site_name,
        extracted_language=extraction.language,
        left_out=extraction.left_out,
    )


def same_source(page: ArchivedPage, text: str | None = None) -> Source | None:
    """The source this page already is: one with its address (as asked for or as redirected
    to), or with its very text (the same article fetched twice, or from another address)."""
    digests = {page.extracted_sha256}
    if text is not None:
        digests.add(sha256_of(text))
    return (
        Source.objects.filter(
            Q(url__in={page.final_url, page.requested_url}) | Q(text_sha256__in=digests)
        )
        .order_by("pk")
        .first()
    )


def pending_pages():
    """Captures fetched and not yet confirmed, newest first."""
    return ArchivedPage.objects.filter(source__isnull=True).defer("html_gzip")


# --- The outlet ------------------------------------------------------------------------------


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


@dataclass
class OutletGuess:
    outlet: Outlet | None  # the registry's, matched by domain or by the site's name
    name: str = ""  # else what a new one would be called
    website: str = ""


def match_outlet(url: str, site_name: str = "") -> OutletGuess:
    host = _host(url)
    by_name = None
    for outlet in Outlet.objects.all():
        website = _host(outlet.website) if outlet.website else ""
        if website and (host == website or host.endswith("." + website)):
            return OutletGuess(outlet)
        if site_name and fold(site_name) in {fold(outlet.name_ar), fold(outlet.name_en)}:
            by_name = by_name or outlet
    if by_name is not None:
        return OutletGuess(by_name)
    parts = urlsplit(url)
    return OutletGuess(None, site_name or host, f"{parts.scheme}://{parts.netloc}/")


def new_outlet(name_ar: str, name_en: str, website: str) -> Outlet:
    base = slugify(name_en) or slugify(_host(website)) or "outlet"
    slug, number = base[:45], 1
    while Outlet.objects.filter(slug=slug).exists():
        number += 1
        slug = f"{base[:40]}-{number}"
    return Outlet.objects.create(slug=slug, name_ar=name_ar, name_en=name_en, website=website)


# --- Confirming ------------------------------------------------------------------------------


@dataclass
class Confirmation:
    """What the editor confirms of a capture."""

    text: str
    headline: str = ""
    published_on: datetime.date | None = None
    byline: str = ""
    language: str = Source.Language.ARABIC
    outlet: Outlet | None = None
    new_outlet_name_ar: str = ""  # a new outlet to create, if no registry outlet is chosen
    new_outlet_name_en: str = ""
    notes: str = ""


def confirm(page: ArchivedPage, user, confirmation: Confirmation) -> Source:
    """The reviewed capture becomes a source: a draft written by `user`, its text the capture,
    the page its archived copy; then its passages are suggested."""
    from .suggestions import suggest

    text = confirmation.text
    if not text.strip():
        raise CaptureRefused(_("The captured text is empty."))
    with transaction.atomic():
        page = ArchivedPage.objects.select_for_update().get(pk=page.pk)
        if page.source_id is not None:
            raise CaptureRefused(_("This capture was confirmed already."))
        existing = same_source(page, text)
        if existing is not None:
            raise CaptureRefused(
                _("This page is already captured: source #%(id)d “%(source)s”.")
                % {"id": existing.pk, "source": existing}
            )
        outlet = confirmation.outlet
        if outlet is None and confirmation.new_outlet_name_ar.strip():
            outlet = new_outlet(
                confirmation.new_outlet_name_ar.strip(),
                confirmation.new_outlet_name_en.strip(),
                f"{urlsplit(page.final_url).scheme}://{urlsplit(page.final_url).netloc}/",
            )
        source = Source(
            url=page.final_url,
            outlet=outlet,
            headline=confirmation.headline.strip()[:500],
            published_on=confirmation.published_on,
            language=confirmation.language,
            byline=confirmation.byline.strip()[:300],
            text=text,
            captured_at=page.fetched_at,
            notes=confirmation.notes,
        )
        workflow.create(source, user)
        page.source = source
        page.confirmed_at = timezone.now()
        page.save(update_fields=["source", "confirmed_at"])
        suggest(source)
    return source


def confirmation_of(page: ArchivedPage) -> Confirmation:
    """The extraction as it stands: what the command line confirms without a review."""
    guess = match_outlet(page.final_url, page.extracted_site_name)
    return Confirmation(
        text=page.extracted_text,
        headline=page.extracted_title,
        published_on=page.extracted_date,
        byline=page.extracted_byline,
        language=language_choice(page.extracted_language),
        outlet=guess.outlet,
    )


def language_choice(code: str) -> str:
    code = (code or "").lower()
    if code in (Source.Language.ARABIC, Source.Language.ENGLISH):
        return code
    return Source.Language.OTHER if code else Source.Language.ARABIC


# --- In the background -----------------------------------------------------------------------


def capture_job(job) -> None:
    """The task worker's side (astana_cms/jobs): fetch each address of the job, keeping each
    page for review; progress in bytes for one address, in addresses for several."""
    from astana_cms.jobs.work import progress

    report = progress(job)
    urls = job.params["urls"]
    results = []
    for number, url in enumerate(urls, start=1):

        def bytes_read(done: int, total: int | None) -> None:
            report("fetch", done, total or 0)

        try:
            page = capture_page(url, job.user, progress=bytes_read if len(urls) == 1 else None)
        except FetchRefused as refused:
            results.append({"url": url, "error": str(refused)})
        else:
            existing = same_source(page)
            results.append(
                {"url": url, "page": page.pk, "source": existing.pk if existing else None}
            )
        if len(urls) > 1:
            report("capture", number, len(urls))
    job.params = {**job.params, "results": results}
    fetched = sum(1 for r in results if "page" in r)
    lines = [
        ngettext(
            "%(count)d page fetched for review",
            "%(count)d pages fetched for review",
            fetched,
        )
        % {"count": fetched}
        + "; "
        + ngettext("%(count)d refused.", "%(count)d refused.", len(results) - fetched)
        % {"count": len(results) - fetched}
    ]
    lines += [f"{r['url']}: {r['error']}" for r in results if "error" in r][:50]
    job.message = "\n".join(lines)
    if len(urls) == 1 and not fetched:
        from astana_cms.jobs.work import JobFailed

        raise JobFailed(results[0]["error"])


def capture_in_background(user, urls: list[str], label: str):
    from astana_cms.jobs.work import start

    return start(user, label, "statements.capture_url.capture_job", urls=urls)


def urls_from_sheet(data: bytes, filename: str) -> list[str]:
    """The addresses a spreadsheet lists (a column «url», «address», «الرابط»…, or its first
    column), each once, or CaptureRefused naming every bad row."""
    from astana_cms.imports.reader import Column, SheetError, read_sheet

    try:
        sheet = read_sheet(
            data, filename, [Column("url", ("address", "link", "الرابط", "العنوان", "رابط"))]
        )
    except SheetError as error:
        raise CaptureRefused(str(error)) from error
    problems = [str(p) for p in sheet.problems]
    urls = []
    for number, row in sheet.rows:
        value = str(row.get("url") or "").strip()
        if not value:
            continue
        if not value.lower().startswith(("http://", "https://")):
            problems.append(
                _("row %(row)d: “%(value)s” is not an http or https address.")
                % {"row": number, "value": value[:100]}
            )
            continue
        if value not in urls:
            urls.append(value)
    if problems:
        raise CaptureRefused("\n".join(problems[:50]))
    if not urls:
        raise CaptureRefused(_("The file lists no address (a column “url”)."))
    if len(urls) > settings.CAPTURE_MAX_URLS:
        raise CaptureRefused(
            _("The file lists %(count)d addresses; at most %(limit)d are fetched at once.")
            % {"count": len(urls), "limit": settings.CAPTURE_MAX_URLS}
        )
    return urls
