"""Fetch services (or structures) from data·inclusion's API, page by page, for token holders.

`GET <url>?page=N&size=M` with `Authorization: Bearer <token>`; the answer's `items` hold the
records (a search answer wraps each as `{"service": …}`), `pages` says when to stop. The
open-data file stays the default path: this is for operators who have a token.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

PAGE_SIZE = 1000
MAX_PAGES = 10_000  # a runaway API never keeps the import going for ever
TIMEOUT = 60


class FetchError(Exception):
    """The API could not be read: the message says why, never the token."""


def fetch_records(url: str, token: str, size: int | None = None) -> Iterator[dict[str, Any]]:
    size = size or PAGE_SIZE
    if urlsplit(url).scheme not in ("http", "https"):
        raise FetchError(f"{url}: not an http(s) address")
    page = 1
    while page <= MAX_PAGES:
        query = urlencode({"page": page, "size": size})
        address = f"{url}{'&' if '?' in url else '?'}{query}"
        request = Request(
            address, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
        )
        try:
            with urlopen(request, timeout=TIMEOUT) as answer:
                data = json.load(answer)
        except HTTPError as exc:
            hint = " (check DATA_INCLUSION_TOKEN)" if exc.code in (401, 403) else ""
            raise FetchError(f"{url}: page {page}: HTTP {exc.code}{hint}") from None
        except (URLError, TimeoutError, OSError) as exc:
            raise FetchError(f"{url}: page {page}: {exc}") from None
        except ValueError:
            raise FetchError(f"{url}: page {page}: the answer is not JSON") from None
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise FetchError(f"{url}: page {page}: no 'items' list in the answer")
        for item in items:
            inner = item.get("service") if isinstance(item, dict) else None
            yield inner if isinstance(inner, dict) else item
        pages = data.get("pages")
        if not items or not isinstance(pages, int) or page >= pages:
            return
        page += 1


def structures_url(services_url: str) -> str:
    """The structures' endpoint beside the services' one (`…/services` -> `…/structures`)."""
    head, sep, tail = services_url.rpartition("/services")
    return f"{head.removesuffix('/search')}/structures{tail}" if sep else services_url
