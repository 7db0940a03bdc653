"""Files given by URL (a REST file input ``"https://.../cat.png"``), fetched once into the
uploads folder, with the checks a server needs before it fetches what a stranger names.

A URL must be http(s); its host must resolve to public addresses only (a caller must not
make the server read its own network: ``http://169.254.169.254/``, ``http://localhost:8080/admin``),
unless ``$DAGGR_ALLOW_PRIVATE_URLS=1`` (an app that only its owner reaches, tests);
redirects are followed by hand so each hop is checked; the body is cut at the upload limit.

Example:
    >>> check_url("file:///etc/passwd")
    Traceback (most recent call last):
    ...
    daggr.values.urls.UrlRefused: Only http:// and https:// URLs can be fetched, not 'file:///etc/passwd'.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from urllib.parse import urljoin, urlparse

from daggr.records import FileValue
from daggr.values.files import ext_for_mime, ext_of_name, save_upload
from daggr.values.limits import URL_TIMEOUT, max_upload_bytes

MAX_REDIRECTS = 3


class UrlRefused(ValueError):
    """A URL the server will not fetch, or could not."""


def private_allowed() -> bool:
    return os.environ.get("DAGGR_ALLOW_PRIVATE_URLS", "").lower() in ("1", "true", "yes")


def check_url(url: str) -> None:
    """Refuse a URL that is not http(s), or whose host is on a private network."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise UrlRefused(f"Only http:// and https:// URLs can be fetched, not {url[:80]!r}.")
    if private_allowed():
        return
    try:
        infos = socket.getaddrinfo(parsed.hostname, parsed.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise UrlRefused(f"The host of {url[:80]!r} cannot be resolved: {exc}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not address.is_global:
            raise UrlRefused(
                f"{url[:80]!r} points at a private address ({address}); this server does "
                "not fetch from its own network. Send the file's content instead (a data: "
                "URL), or set DAGGR_ALLOW_PRIVATE_URLS=1 where only you reach the app."
            )


def fetch(url: str) -> FileValue:
    """Download ``url`` (checked at every redirect, at most the upload limit) into the
    uploads folder; :class:`UrlRefused` says why it could not."""
    import httpx

    limit = max_upload_bytes()
    for _ in range(MAX_REDIRECTS + 1):
        check_url(url)
        try:
            with httpx.stream("GET", url, timeout=URL_TIMEOUT, follow_redirects=False) as r:
                if r.is_redirect and r.headers.get("location"):
                    url = urljoin(url, r.headers["location"])
                    continue
                if r.status_code != 200:
                    raise UrlRefused(f"{url[:80]!r} answered {r.status_code}.")
                data = bytearray()
                for chunk in r.iter_bytes():
                    data += chunk
                    if len(data) > limit:
                        raise UrlRefused(
                            f"{url[:80]!r} is larger than the {limit / 2**20:g} MB upload "
                            "limit (DAGGR_MAX_UPLOAD_MB)."
                        )
                mime = r.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        except httpx.HTTPError as exc:
            raise UrlRefused(f"{url[:80]!r} could not be fetched: {exc}") from None
        ext = ext_for_mime(mime)
        if ext == ".bin":
            ext = ext_of_name(urlparse(url).path) if _inert(urlparse(url).path) else ".bin"
        return save_upload(bytes(data), ext)
    raise UrlRefused(f"{url[:80]!r} redirects more than {MAX_REDIRECTS} times.")


def _inert(path: str) -> bool:
    # Only extensions served as passive media: an upload named .html or .svg would later be
    # served from the app's own origin as a page.
    return ext_of_name(path) in {
        ".png", ".jpg", ".jpeg", ".gif", ".webp", ".wav", ".mp3", ".ogg", ".flac",
        ".mp4", ".webm", ".txt", ".csv", ".json", ".pdf", ".glb", ".obj", ".stl",
    }  # fmt: skip
