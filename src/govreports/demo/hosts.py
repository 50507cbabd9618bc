"""Which host serves which demo site: each on a loopback address of its own, all on one port.

Why: real agencies publish on hostnames of their own (PORTALS.md §11, "agencies on separate hostnames"), and what a
crawler does per host — robots.txt, the delay between requests, the connection slots, the attempts a silent host
may leave unanswered before it is given up for the night — is only tested when the sites are separate hosts. On one
shared host a gate answering robots.txt, or one hung site, held up every other site. Linux answers on all of
127.0.0.0/8 without configuration, so 127.0.0.2 … 127.0.0.11 are ten hosts with no name service and no root.

Paths keep their site prefix (/ordos/…, /gd/…), so a page's links stay what they were; a host answers only its
own site's paths (another site's is a 404, as it would be on another agency's server). 127.0.0.1 is the directory:
the index page linking every site and the /_demo/ ground truth.
"""

from __future__ import annotations

DIRECTORY = "127.0.0.1"
# site (a path's first segment) -> the loopback address serving it; config/demo.toml names the same addresses
SITE_ADDRESSES = {
    "ordos": "127.0.0.2", "gbk": "127.0.0.3", "hanweb": "127.0.0.4", "wenzhou": "127.0.0.5", "gd": "127.0.0.6",
    "govcn": "127.0.0.7", "custom": "127.0.0.8", "tax": "127.0.0.9", "gate": "127.0.0.10", "taizhou": "127.0.0.11",
}
ADDRESSES = (DIRECTORY, *SITE_ADDRESSES.values())
_SITE_AT = {address: site for site, address in SITE_ADDRESSES.items()}
# paths every host answers: its / (a site's leads to its home page), its own robots.txt, the footer's jiucuo.js tag
EVERY_HOST = ("/", "/robots.txt", "/jiucuo.js")


def site_of(path: str) -> str | None:
    """The site a path belongs to (its first segment), or None for the directory's own paths."""
    first = path.split("/", 2)[1] if path.startswith("/") and path.count("/") >= 2 else ""
    return first if first in SITE_ADDRESSES else None


def site_at(address: str) -> str | None:
    """The site a loopback address serves, or None for the directory."""
    return _SITE_AT.get(address)


def address_of(path: str) -> str:
    """The loopback address that serves a path."""
    site = site_of(path)
    return SITE_ADDRESSES[site] if site else DIRECTORY


def url(path: str, port: int) -> str:
    """The absolute URL of a demo path: its site's host, the portal's port."""
    return f"http://{address_of(path)}:{port}{path}"


def serves(address: str, path: str) -> bool:
    """Whether the host at `address` answers `path`: its own site's paths, and EVERY_HOST's."""
    return path in EVERY_HOST or address_of(path) == address


def path_of(url: str) -> str:
    """A demo URL's path and query, whichever host and port it names (the inverse of url())."""
    rest = url.split("://", 1)[-1]
    return "/" + rest.split("/", 1)[1] if "/" in rest else "/"
