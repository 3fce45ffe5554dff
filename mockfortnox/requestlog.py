"""Reading the request log: filters, the JSON view `/mock/requests` answers, and a HAR 1.2
file (`?format=har`) that browsers' developer tools and HTTP tools open.

Secrets never leave the mock: the `Authorization`, `Client-Secret` and `Access-Token`
headers, cookies, and the OAuth fields of bodies (`client_secret`, `code`, `refresh_token`,
`access_token` …) are masked here, when the log is read — the log itself keeps what was
sent, so a request costs nothing extra.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["MASK", "har", "matches", "parse_filters", "view"]

MASK = "********"
SECRET_HEADERS = frozenset({"authorization", "client-secret", "access-token", "cookie", "set-cookie"})
SECRET_FIELDS = frozenset(
    {"client_secret", "code", "refresh_token", "access_token", "token", "password", "clientsecret"}
)
_NAMES = "|".join(sorted(SECRET_FIELDS))
_SECRET_JSON = re.compile(rf'("(?:{_NAMES})"\s*:\s*)"[^"]*"', re.IGNORECASE)
_SECRET_FORM = re.compile(rf"((?:^|&)(?:{_NAMES})=)[^&]*", re.IGNORECASE)
STATUS_TEXT = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
               403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 429: "Too Many Requests",
               500: "Internal Server Error", 503: "Service Unavailable"}  # fmt: skip


class FilterError(ValueError):
    """A filter the log cannot apply; its message says which and why."""


def parse_filters(args: dict[str, str], tenant_id: int | None) -> dict[str, Any]:
    """`method`, `path` (a prefix), `status` (`404` or a class `4xx`), `tenant` (resolved by the
    caller), `since`/`until` (ISO 8601 times) and `after` (a sequence number: only newer)."""
    filters: dict[str, Any] = {}
    if args.get("method"):
        filters["method"] = args["method"].upper()
    if args.get("path"):
        filters["path"] = args["path"]
    if args.get("status"):
        status = args["status"].lower()
        if not re.fullmatch(r"[1-5](?:\d\d|xx)", status):
            raise FilterError("status takes a code (404) or a class (4xx)")
        filters["status"] = status
    if tenant_id is not None:
        filters["tenant"] = tenant_id
    for name in ("since", "until"):
        if args.get(name):
            try:  # a "+" of a zone offset arrives as a space when the caller did not encode it
                moment = datetime.fromisoformat(args[name].replace(" ", "+"))
            except ValueError:
                raise FilterError(f"{name} takes an ISO 8601 time") from None
            filters[name] = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    if args.get("after"):
        if not args["after"].isdigit():
            raise FilterError("after takes a sequence number")
        filters["after"] = int(args["after"])
    return filters


def matches(entry: dict, filters: dict[str, Any]) -> bool:
    if "method" in filters and entry["method"] != filters["method"]:
        return False
    if "path" in filters and not entry["path"].startswith(filters["path"]):
        return False
    if "status" in filters:
        status = str(entry["status"] or 0)
        wanted = filters["status"]
        if (status[0] != wanted[0]) if wanted.endswith("xx") else status != wanted:
            return False
    if "tenant" in filters and entry.get("tenant") != filters["tenant"]:
        return False
    if "since" in filters and entry["started"] < filters["since"]:
        return False
    if "until" in filters and entry["started"] > filters["until"]:
        return False
    return not ("after" in filters and entry["seq"] <= filters["after"])


# --- rendering -----------------------------------------------------------------------------


def _header_name(key: str) -> str:
    name = key[5:] if key.startswith("HTTP_") else key
    return "-".join(part.capitalize() for part in name.split("_"))


def _headers(pairs: Iterable[tuple[str, str]], *, from_environ: bool) -> list[tuple[str, str]]:
    out = []
    for key, value in pairs:
        name = _header_name(key) if from_environ else key
        lowered = name.lower()
        if lowered in SECRET_HEADERS:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            value = f"{scheme} {MASK}".strip()
        out.append((name, value))
    return out


def _content_type(headers: list[tuple[str, str]]) -> str:
    return next((v for k, v in headers if k.lower() == "content-type"), "")


def _body(raw: bytes | bytearray, content_type: str, limit: int) -> dict[str, Any]:
    """A body as text (secrets masked) or base64, with its kept size and whether it was cut."""
    data = bytes(raw)
    body: dict[str, Any] = {"size": len(data), "truncated": len(data) >= limit, "mimeType": content_type}
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        body.update(text=base64.b64encode(data).decode("ascii"), encoding="base64")
        return body
    if "json" in content_type:
        text = _SECRET_JSON.sub(rf'\1"{MASK}"', text)
    elif "form-urlencoded" in content_type:
        text = _SECRET_FORM.sub(rf"\1{MASK}", text)
    body["text"] = text
    return body


def view(entry: dict, limit: int) -> dict[str, Any]:
    """One entry as `/mock/requests` shows it."""
    request_headers = _headers(entry["request_headers"], from_environ=True)
    response_headers = _headers(entry["response_headers"], from_environ=False)
    return {
        "seq": entry["seq"],
        "time": datetime.fromtimestamp(entry["started"], UTC).isoformat(),
        "method": entry["method"],
        "path": entry["path"],
        "query": entry["query"],
        "status": entry["status"],
        "tenant": entry.get("tenant"),
        "fault": entry["fault"],
        "ms": Decimal(f"{entry.get('ms', 0):.1f}"),
        "request": {
            "headers": dict(request_headers),
            "body": _body(entry["request_body"], _content_type(request_headers), limit),
        },
        "response": {
            "headers": dict(response_headers),
            "body": _body(entry["response_body"], _content_type(response_headers), limit),
        },
    }


def har(entries: list[dict], limit: int, version: str) -> dict[str, Any]:
    """The entries as a HAR 1.2 log (http://www.softwareishard.com/blog/har-12-spec/)."""
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "mockfortnox", "version": version},
            "pages": [],
            "entries": [_har_entry(e, limit) for e in entries],
        }
    }


def _har_entry(entry: dict, limit: int) -> dict[str, Any]:
    request_headers = _headers(entry["request_headers"], from_environ=True)
    response_headers = _headers(entry["response_headers"], from_environ=False)
    request_body = _body(entry["request_body"], _content_type(request_headers), limit)
    response_body = _body(entry["response_body"], _content_type(response_headers), limit)
    query = f"?{entry['query']}" if entry["query"] else ""
    ms = Decimal(f"{entry.get('ms', 0):.3f}")
    status = entry["status"] or 0  # 0: no answer reached the client (a dropped response)
    request: dict[str, Any] = {
        "method": entry["method"],
        "url": f"{entry['scheme']}://{entry['host']}{entry['path']}{query}",
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": [{"name": k, "value": v} for k, v in request_headers],
        "queryString": [
            {"name": k, "value": v} for k, v in parse_qsl(entry["query"], keep_blank_values=True)
        ],
        "headersSize": -1,
        "bodySize": request_body["size"] if entry["request_body"] else 0,
    }
    if entry["request_body"]:
        request["postData"] = {"mimeType": request_body["mimeType"], "text": request_body.get("text", "")}
    content: dict[str, Any] = {
        "size": response_body["size"],
        "mimeType": response_body["mimeType"] or "x-unknown",
    }
    if response_body["size"]:
        content["text"] = response_body["text"]
        if "encoding" in response_body:
            content["encoding"] = "base64"
    return {
        "startedDateTime": datetime.fromtimestamp(entry["started"], UTC).isoformat(timespec="milliseconds"),
        "time": ms,
        "request": request,
        "response": {
            "status": status,
            "statusText": STATUS_TEXT.get(status, ""),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [{"name": k, "value": v} for k, v in response_headers],
            "content": content,
            "redirectURL": next((v for k, v in response_headers if k.lower() == "location"), ""),
            "headersSize": -1,
            "bodySize": response_body["size"] if status else -1,
        },
        "cache": {},
        "timings": {"send": 0, "wait": ms, "receive": 0},
        "_fault": entry["fault"],
        "_tenant": entry.get("tenant"),
        "_seq": entry["seq"],
    }
