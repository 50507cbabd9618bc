"""The demo portal's HTTP server: stdlib ThreadingHTTPServers, one per loopback host (demo/hosts.py), one handler.

Why stdlib: no event loop to own, starts in milliseconds inside a test, and a blocking handler thread is the
natural way to imitate a slow host. The handler alone applies what real portals do around the CMS: the 403 for
python-httpx, the anti-bot gates, robots.txt, transient and permanent faults, ETag/Last-Modified with 304s, and
it logs every request (except /_demo/) for tests that check a crawler's manners.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import struct
import threading
import time
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from govreports.demo import chrome, hosts
from govreports.demo import faults as F
from govreports.demo.base import Request, Response, html, not_found
from govreports.demo.portal import RequestLog
from govreports.demo.sites import custom, gate, gkmlpt, govcn, hanweb, nav, taizhou, tax, trs, wenzhou

BLOCKED_AGENTS = ("python-httpx/", "python-requests/", "python-urllib/")


def robots_txt(portal, site: str | None) -> str:
    """The robots.txt of one host: the `robots` fault shuts the GBK site's host to crawlers (PORTALS.md §11,
    "robots.txt `Disallow: /` on one host"); the others keep a private folder or two out."""
    lines = ["User-agent: *"]
    if site == "ordos":
        lines.append("Disallow: /ordos/private/")
    if site == "gbk" and "robots" in portal.faults:
        lines.append("Disallow: /")
    if site == "gate" and portal.gate:  # served behind the gate site's challenge (sites/gate.py)
        lines.append(f"Disallow: {gate.PRIVATE}")
    if len(lines) == 1:
        lines.append("Disallow:")
    return "\n".join(lines) + "\n"


# Columns that moved (PORTALS.md §2, "10+ districts' 年报 paths … moved between years"; §11 "a moved column (301)"):
# the old entry URL, as a config written before the move names it, answers 301 to the column's new home, and only
# it: the old folder's other pages are gone (404). A crawler must find page 2… where the redirect ended.
MOVED = {"/gbk/xxgk/xxgknb/index.shtml": "/gbk/zwgk/xxgknb/index.shtml", "/gd/zwgk/gkmlpt/index": "/gd/gkmlpt/index"}


def moved(path: str, portal) -> Response | None:
    """The 301 of a moved column's old entry URL (absolute Location, as real servers send it)."""
    target = MOVED.get(path)
    if target is None:
        return None
    return Response(301, b"", "text/html", headers={"Location": portal.url(target)}, validators=False)


def route(req: Request, portal) -> Response | None:
    path = req.path
    if not hosts.serves(req.host, path):  # another agency's path on this host: its server knows nothing of it
        return None
    if (response := moved(path, portal)) is not None:
        return response
    site = hosts.site_of(path) or hosts.site_at(req.host)
    if path == "/":
        if site is None:
            columns = ((wenzhou.NAME, wenzhou.START), (taizhou.NAME, taizhou.START),
                       *(((gate.NAME, gate.START),) if portal.gate else ()))
            return html(chrome.root_index(portal.url, columns), last_modified=portal.started)
        return Response(302, b"", "text/html", headers={"Location": portal.url(chrome.home_of(site))}, validators=False)
    if path == "/robots.txt":
        return Response(200, robots_txt(portal, site).encode(), "text/plain", last_modified=portal.started)
    if path == "/jiucuo.js":
        return Response(200, b"", "application/javascript", last_modified=portal.started)
    if path.startswith("/ordos/private/"):
        return html(chrome.page("ordos", "内部资料", "<p>内部工作资料，不对外公开。</p>"), last_modified=portal.started)
    if (response := nav.handle(req, portal)) is not None:  # homes, hubs, look-alike columns, news …
        return response
    if path.startswith("/ordos/"):
        return trs.handle(trs.ORDOS, req, portal)
    if path.startswith("/gbk/"):
        return trs.handle(trs.GBK, req, portal)
    if path.startswith("/hanweb/"):
        return hanweb.handle(req, portal)
    if path.startswith("/gd/"):
        return gkmlpt.handle(req, portal)
    if path.startswith("/govcn/"):
        return govcn.handle(req, portal)
    if path.startswith("/custom/"):
        return custom.handle(req, portal)
    if path.startswith("/tax/"):
        return tax.handle(req, portal)
    if path.startswith(gate.PREFIX):
        return gate.handle(req, portal)
    if path.startswith(wenzhou.PREFIX):
        return wenzhou.handle(req, portal)
    if path.startswith(taizhou.PREFIX):
        return taizhou.handle(req, portal)
    return None


def _canonical_header(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))


def _cookies(headers: dict[str, str]) -> dict[str, str]:
    out = {}
    for part in headers.get("Cookie", "").split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    timeout = 30

    def log_message(self, *args) -> None:  # the portal keeps its own log
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_POST(self) -> None:
        self._serve("POST")

    # ------------------------------------------------------------------------------------------------------------
    def _serve(self, method: str) -> None:
        portal = self.server.portal
        split = urlsplit(self.path)
        headers = {_canonical_header(k): v for k, v in self.headers.items()}
        length = int(headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        host = self.server.server_address[0]
        req = Request(method, split.path or "/", split.query, headers, body, host)
        if req.path.startswith("/_demo/") and host == hosts.DIRECTORY:
            return self._demo(req)
        conditional = "If-None-Match" in headers or "If-Modified-Since" in headers
        entry = RequestLog(time.time(), method, req.path, req.query, 0, headers, conditional, host=host)
        portal.log(entry)  # logged on arrival; status and fault are filled in as the answer is decided
        self._answer(req, portal, entry)

    def _answer(self, req: Request, portal, entry: RequestLog) -> None:
        if "hung-host" in portal.faults and req.host == hosts.SITE_ADDRESSES[F.HUNG_SITE]:
            entry.fault = "hung-host"  # takes the connection, answers nothing, closes it late (status 0)
            portal.stopping.wait(portal.faults.hang_seconds)
            self.close_connection = True
            return None
        agent = req.headers.get("User-Agent", "")
        if not agent.strip() or agent.lower().startswith(BLOCKED_AGENTS):
            return self._send(Response(403, b"<html><body><h1>403 Forbidden</h1></body></html>", "text/html",
                                       validators=False), entry, req)
        if gate := self._gate(req, portal):
            entry.fault = gate.headers.pop("X-Demo-Fault")
            return self._send(gate, entry, req)
        attempt = portal.plan.attempt(req.path + ("?" + req.query if req.query else ""))
        kinds = portal.plan.kinds_for(req.path)
        if req.path == portal.plan.permanent_500:
            entry.fault = "500-permanent"
            return self._send(Response(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>",
                                       "text/html", validators=False), entry, req)
        if "redirect-loop" in kinds:
            entry.fault = "redirect-loop"
            return self._send(Response(302, b"", "text/html", {"Location": req.path}, validators=False), entry, req)
        first = kinds[0] if kinds and attempt == 1 else None
        if first in ("500", "503"):
            entry.fault = first
            return self._send(Response(int(first), f"<html><body><h1>{first} Service Error</h1></body></html>".encode(),
                                       "text/html", validators=False), entry, req)
        if first == "429":
            entry.fault = "429"
            return self._send(Response(429, b"<html><body><h1>429 Too Many Requests</h1></body></html>", "text/html",
                                       {"Retry-After": "1"}, validators=False), entry, req)
        if first == "reset":
            entry.fault = "reset"
            return self._reset()
        response = route(req, portal) or not_found()
        if (wrong := portal.plan.mislabelled.get(req.path)) and response.status == 200:
            entry.fault = "wrong-type"
            response.content_type = wrong
        if first == "slow":
            entry.fault = "slow"
            time.sleep(portal.faults.slow_seconds)
        if first == "truncate" and response.status == 200 and req.method != "HEAD":
            entry.fault = "truncate"
            return self._send(response, entry, req, truncate=True)
        self._send(response, entry, req)

    def _gate(self, req: Request, portal) -> Response | None:
        if (challenge := gate.challenge(req, portal)) is not None:  # the /gate/ site: 412 until its script ran
            return challenge
        cookies = _cookies(req.headers)
        seed = portal.seed
        if "antibot-412" in portal.faults and req.path.startswith(F.ANTIBOT_412_PREFIX):
            expected = F.token(seed, "rs")[:40]
            if cookies.get(F.COOKIE_412) != expected:
                return Response(412, F.gate_412_body(seed), "text/html", validators=False, headers={
                    "Set-Cookie": f"{F.COOKIE_412}={expected}; Path=/; HttpOnly", "X-Demo-Fault": "antibot-412"})
        if "antibot-521" in portal.faults and req.path.startswith(F.ANTIBOT_521_PREFIX):
            if cookies.get(F.COOKIE_521) != F.clearance_521(seed):
                return Response(521, F.gate_521_body(seed), "text/html", validators=False, headers={
                    "Set-Cookie": f"__jsluid_s={F.token(seed, 'jsluid')[:32]}; Path=/; HttpOnly",
                    "X-Demo-Fault": "antibot-521"})
        return None

    def _reset(self) -> None:
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send(self, response: Response, entry: RequestLog, req: Request, truncate: bool = False) -> None:
        headers = dict(response.headers)
        body = response.body
        if response.validators and response.status == 200:
            etag = '"' + hashlib.sha1(body).hexdigest() + '"'
            modified = int(response.last_modified or time.time())
            headers["ETag"] = etag
            headers["Last-Modified"] = formatdate(modified, usegmt=True)
            if _not_modified(req.headers, etag, modified):
                response = Response(304, b"", response.content_type)
                body = b""
        status = response.status
        entry.status = status
        try:
            self.send_response(status)
            if status != 304:
                self.send_header("Content-Type", response.content_type)
            for name, value in headers.items():
                self.send_header(name, value)
            declared = len(body) + (len(body) // 2 + 100 if truncate else 0)
            if status != 304:
                self.send_header("Content-Length", str(declared))
            self.end_headers()
            if req.method != "HEAD" and status != 304:
                self.wfile.write(body[: len(body) // 2] if truncate else body)
            self.wfile.flush()
            if truncate:
                self._reset()
        except OSError:  # the client went away (e.g. gave up on a slow response)
            self.close_connection = True

    def _demo(self, req: Request) -> None:
        portal = self.server.portal
        if req.path == "/_demo/ground-truth.json":
            data = portal.ground_truth()
        elif req.path == "/_demo/requests.json":
            data = portal.requests_json()
        elif req.path == "/_demo/navigation.json":
            data = portal.navigation()
        elif req.path == "/_demo/meta.json":
            data = {"reposts": portal.reposts(), "nonreports": portal.nonreports(),
                    "faults": {k: portal.faulted_urls(k) for k in (*F.URL_KINDS, "500-permanent")}}
        else:
            return self._send(not_found(), RequestLog(0, "", "", "", 0, {}, False), req)
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self._send(Response(200, body, "application/json; charset=utf-8", validators=False),
                   RequestLog(0, "", "", "", 0, {}, False), req)


def _not_modified(headers: dict[str, str], etag: str, modified: int) -> bool:
    if (inm := headers.get("If-None-Match")) is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return etag in tags or "*" in tags
    if (ims := headers.get("If-Modified-Since")) is not None:
        try:
            return modified <= parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError):
            return False
    return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request, client_address) -> None:  # clients that hang up are normal here
        pass


def make_servers(portal, port: int = 0) -> list[_Server]:
    """One server per demo host (hosts.ADDRESSES), all on one port: `port`, or with 0 the port the system gives the
    directory host, tried again on the others (a few times: another program may hold it on one of them)."""
    for _ in range(8):
        servers: list[_Server] = []
        try:
            for address in hosts.ADDRESSES:
                server = _Server((address, port or (servers[0].server_address[1] if servers else 0)), Handler)
                server.portal = portal
                servers.append(server)
            return servers
        except OSError:
            for server in servers:
                server.server_close()
            if port:
                raise
    raise OSError("no port free on every demo host (127.0.0.1–127.0.0.11) after 8 tries")


def serve_all(servers: list[_Server], poll_interval: float) -> list[threading.Thread]:
    """Each host's server in a daemon thread of its own."""
    threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": poll_interval},
                                name=f"demo-portal-{s.server_address[0]}", daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    return threads


def shutdown_all(servers: list[_Server]) -> None:
    for server in servers:
        server.shutdown()
        server.server_close()


def serve_forever(port: int = 8765, seed: int = 0, scale: int | None = None, faults: str | None = None,
                  attachments: float = 0.2, prerender: bool = False) -> None:
    """Run the demo portal in the foreground until interrupted (the `govreports demo-portal` command).
    With `prerender` every attachment and report page is rendered before the port opens (benchmarks wait for the
    port)."""
    from govreports.demo.portal import DemoPortal

    # GOVREPORTS_DEMO_GATE=1 (make demo sets it): the /gate/ site behind a JavaScript challenge, reports and all
    portal = DemoPortal(seed=seed, scale=scale, faults=faults, attachments=attachments,
                        gate=os.environ.get("GOVREPORTS_DEMO_GATE", "") not in ("", "0"))
    if prerender:
        start = time.perf_counter()
        count = portal.prerender()
        print(f"rendered {count} attachments and report pages in {time.perf_counter() - start:.1f} s", flush=True)
    servers = make_servers(portal, port)
    portal.port = servers[0].server_address[1]
    portal.warm()
    print(f"demo portal at {portal.base_url}/ (its {len(servers) - 1} sites on 127.0.0.2–{hosts.ADDRESSES[-1]}, "
          f"same port) — {len(portal.catalog.reports())} reports, seed {seed}, "
          f"faults: {','.join(sorted(portal.faults.enabled)) or 'none'}", flush=True)
    serve_all(servers[1:], 0.2)
    try:
        servers[0].serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        shutdown_all(servers[1:])
        servers[0].server_close()
