"""Fetching a web page for a capture, safely.

An editor's address is fetched by the server, so the server must not become a way into the
newsroom's own network: only http and https, no credentials in the address, and every host
resolved and checked before it is connected to — no private, loopback, link-local, multicast,
reserved or unspecified address (`CAPTURE_ALLOW_PRIVATE_ADDRESSES` allows the first three, for
tests against a local server). The connection goes to the very address that was checked (a
name that resolves to something else a moment later — DNS rebinding — changes nothing), and
HTTPS still verifies the certificate against the host's name. Redirects are followed one hop
at a time, each hop checked the same way, up to `CAPTURE_MAX_REDIRECTS`.

The whole fetch has one deadline (`CAPTURE_TIMEOUT` seconds: connecting, waiting and reading,
so a page that trickles in byte by byte is cut off too) and one size limit
(`CAPTURE_MAX_BYTES`, checked against the announced length and again while reading, after any
compression is undone). Only HTML is taken.

The standard library's http.client does the talking: it lets the connection be made to a
checked address while the request names the host, which higher-level clients hide.
"""

from __future__ import annotations

import codecs
import http.client
import ipaddress
import re
import socket
import ssl
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

REDIRECTS = {301, 302, 303, 307, 308}
HTML_TYPES = ("text/html", "application/xhtml+xml")
CHUNK = 64 * 1024

Progress = Callable[[int, int | None], None]  # bytes read, bytes announced (or None)


class FetchRefused(Exception):
    """A page that is not fetched, and why, in words an editor understands."""


class FetchTimedOut(FetchRefused):
    """The page did not arrive within the time allowed."""


@dataclass
class Fetched:
    """A page as the server sent it."""

    requested_url: str
    final_url: str
    status: int
    content_type: str
    charset: str  # what the body is decoded with (declared, sniffed, or the fallback)
    body: bytes  # the document exactly as sent (any Content-Encoding undone)
    fetched_at: datetime
    redirects: list[str] = field(default_factory=list)

    def html(self) -> str:
        return self.body.decode(self.charset, errors="replace")


def fetch(
    url: str,
    *,
    timeout: float | None = None,
    max_bytes: int | None = None,
    progress: Progress | None = None,
) -> Fetched:
    """Fetch `url` under the rules above, or raise FetchRefused saying why."""
    timeout = settings.CAPTURE_TIMEOUT if timeout is None else timeout
    max_bytes = settings.CAPTURE_MAX_BYTES if max_bytes is None else max_bytes
    deadline = time.monotonic() + timeout
    requested, current, redirects = url, url.strip(), []
    for _hop in range(settings.CAPTURE_MAX_REDIRECTS + 1):
        response, connection = _request(current, deadline)
        try:
            if response.status in REDIRECTS and response.getheader("Location"):
                redirects.append(current)
                current = _without_fragment(urljoin(current, response.getheader("Location")))
                continue
            if response.status != 200:
                raise FetchRefused(
                    _("The page answered HTTP %(status)d %(reason)s, not the page itself.")
                    % {"status": response.status, "reason": response.reason}
                )
            content_type = response.getheader("Content-Type", "")
            media_type = content_type.split(";")[0].strip().lower()
            if media_type and media_type not in HTML_TYPES:
                raise FetchRefused(
                    _("The address gives “%(type)s”, not a web page (HTML).") % {"type": media_type}
                )
            body = _read(response, connection, deadline, max_bytes, progress)
        finally:
            connection.close()
        return Fetched(
            requested_url=requested,
            final_url=_without_fragment(current),
            status=response.status,
            content_type=content_type,
            charset=charset_of(body, content_type),
            body=body,
            fetched_at=timezone.now(),
            redirects=redirects,
        )
    raise FetchRefused(
        _("The address redirects more than %(count)d times.")
        % {"count": settings.CAPTURE_MAX_REDIRECTS}
    )


# --- Addresses -------------------------------------------------------------------------------


def check_address(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL the rules allow, or FetchRefused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise FetchRefused(_("This is not a web address: %(error)s") % {"error": error}) from error
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchRefused(_("Only http and https addresses are fetched."))
    if parts.username or parts.password:
        raise FetchRefused(_("An address with a user name or password is not fetched."))
    if not parts.hostname:
        raise FetchRefused(_("The address names no host."))
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


def refusal_of(address: str) -> str:
    """Why the server must not connect to this IP address ("" if it may)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_unspecified or ip.is_multicast:
        return _("an unroutable address")
    if ip.is_loopback or ip.is_link_local or ip.is_private:
        if settings.CAPTURE_ALLOW_PRIVATE_ADDRESSES:
            return ""
        return _("a private, loopback or link-local address")
    if ip.is_reserved or not ip.is_global:
        return _("an address that is not on the public internet")
    return ""


def resolve(host: str, port: int) -> str:
    """The checked IP address to connect to for `host`. Every address the name resolves to
    must be allowed: a name with one public and one private address is refused."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchRefused(
            _("The host “%(host)s” is not found: %(error)s") % {"host": host, "error": error}
        ) from error
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        why = refusal_of(address)
        if why:
            raise FetchRefused(
                _("“%(host)s” is %(why)s (%(address)s): it is not fetched.")
                % {"host": host, "why": why, "address": address}
            )
    if not addresses:
        raise FetchRefused(_("The host “%(host)s” is not found.") % {"host": host})
    return addresses[0]


def _without_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


# --- One request -----------------------------------------------------------------------------


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to an address checked beforehand, the certificate verified for the host's name."""

    def __init__(self, address: str, port: int, server_name: str, timeout: float) -> None:
        super().__init__(address, port, timeout=timeout, context=ssl.create_default_context())
        self.server_name = server_name

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.server_name)


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchTimedOut(_("The page took too long to arrive."))
    return left


# What stays as it is in a request's path and query; the rest (Arabic words in an address
# copied from a browser, spaces) is percent-encoded as UTF-8, as browsers send it.
_URL_SAFE = "/%:@!$&'()*+,;=-._~"


def _ascii_host(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError as error:
        message = _("The host “%(host)s” is not a valid name.") % {"host": host}
        raise FetchRefused(message) from error


def _request(url: str, deadline: float):
    scheme, host, port = check_address(url)
    host = _ascii_host(host)
    address = resolve(host, port)
    parts = urlsplit(url)
    target = quote(parts.path or "/", safe=_URL_SAFE)
    if parts.query:
        target += "?" + quote(parts.query, safe=_URL_SAFE + "?")
    default_port = 443 if scheme == "https" else 80
    host_header = host if ":" not in host else f"[{host}]"
    if port != default_port:
        host_header += f":{port}"
    timeout = _remaining(deadline)
    if scheme == "https":
        connection = _CheckedHTTPSConnection(address, port, host, timeout)
    else:
        connection = http.client.HTTPConnection(address, port, timeout=timeout)
    try:
        connection.request(
            "GET",
            target,
            headers={
                "Host": host_header,
                "User-Agent": settings.CAPTURE_USER_AGENT,
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
                "Accept-Language": "ar,en;q=0.5",
                "Accept-Encoding": "gzip, deflate",
                "Connection": "close",
            },
        )
        if connection.sock is not None:
            connection.sock.settimeout(_remaining(deadline))
        response = connection.getresponse()
    except TimeoutError as error:
        connection.close()
        raise FetchTimedOut(_("The page took too long to arrive.")) from error
    except (OSError, http.client.HTTPException) as error:
        connection.close()
        raise FetchRefused(
            _("The page could not be fetched: %(error)s") % {"error": error}
        ) from error
    return response, connection


def _read(response, connection, deadline: float, max_bytes: int, progress) -> bytes:
    announced = response.getheader("Content-Length")
    total = int(announced) if announced and announced.isdigit() else None
    if total is not None and total > max_bytes:
        raise _too_big(max_bytes)
    encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip", "deflate"):
        raise FetchRefused(
            _("The page is sent in an encoding that is not read (%(encoding)s).")
            % {"encoding": encoding}
        )
    # zlib reads gzip (+16), and deflate with or without its zlib header (+32 guesses which).
    inflate = zlib.decompressobj(47) if encoding != "identity" else None
    parts, size, received = [], 0, 0
    while True:
        if connection.sock is not None:
            connection.sock.settimeout(_remaining(deadline))
        try:
            chunk = response.read1(CHUNK)
        except TimeoutError as error:
            raise FetchTimedOut(_("The page took too long to arrive.")) from error
        except (OSError, http.client.HTTPException) as error:
            raise FetchRefused(
                _("The page could not be read to its end: %(error)s") % {"error": error}
            ) from error
        if not chunk:
            break
        received += len(chunk)
        if inflate is not None:
            try:
                chunk = inflate.decompress(chunk, max_bytes + 1 - size)
            except zlib.error as error:
                raise FetchRefused(_("The page's compression is broken.")) from error
            if inflate.unconsumed_tail:
                raise _too_big(max_bytes)
        size += len(chunk)
        if size > max_bytes:
            raise _too_big(max_bytes)
        parts.append(chunk)
        if progress is not None:
            progress(received, total)
        _remaining(deadline)
    return b"".join(parts)


def _too_big(max_bytes: int) -> FetchRefused:
    return FetchRefused(
        _("The page is larger than %(limit)s; it is not captured.")
        % {"limit": filesizeformat(max_bytes)}
    )


# --- Characters ------------------------------------------------------------------------------

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
# The WHATWG encoding standard reads these labels as Windows code pages.
_WEB_LABELS = {"iso-8859-1": "windows-1252", "latin1": "windows-1252", "ascii": "windows-1252"}
FALLBACK = "windows-1256"  # what Arabic pages that declare nothing and are not UTF-8 use


def _known(label: str) -> str:
    label = _WEB_LABELS.get(label.strip().lower(), label.strip().lower())
    try:
        return codecs.lookup(label).name and label
    except LookupError:
        return ""


def charset_of(body: bytes, content_type: str = "") -> str:
    """How to read the page: the HTTP header's charset, a byte-order mark, the page's own
    <meta> declaration, UTF-8 if the bytes are UTF-8, else Windows-1256."""
    declared = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", content_type, re.I)
    if declared and _known(declared.group(1)):
        return _known(declared.group(1))
    if body.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    meta = _META_CHARSET.search(body[:4096])
    if meta and _known(meta.group(1).decode("ascii")):
        return _known(meta.group(1).decode("ascii"))
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return FALLBACK
    return "utf-8"
