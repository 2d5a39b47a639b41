"""A reusable Open311 GeoReport v2 conformance suite.

No maintained conformance suite for GeoReport v2 exists, so this one checks what the specification
(wiki.open311.org/GeoReport_v2) requires of a server, against ANY base URL:

    python -m tests.open311.conformance https://example.org/open311/v2 --api-key KEY \
        --lat 28.205 --long 112.905 [--jurisdiction-id ID]

or from Python with any httpx-compatible client (``httpx.Client`` or Starlette's ``TestClient``):
``Suite(client, base).run()`` returns one ``Check`` per requirement. Read-only checks need no key;
POST checks run when an api_key and a location inside the jurisdiction are given.
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

REQUEST_FIELDS = ("service_request_id", "status", "service_code", "requested_datetime")
SERVICE_FIELDS = ("service_code", "service_name", "metadata", "type")
SERVICE_TYPES = {"realtime", "batch", "blackbox"}


class Client(Protocol):
    def get(self, url: str, **kw: Any) -> Any: ...
    def post(self, url: str, **kw: Any) -> Any: ...


@dataclass
class Check:
    name: str
    passed: bool
    detail: str = ""


class Failed(AssertionError):
    pass


def _iso(text: str | None) -> datetime:
    if not text:
        raise Failed("empty datetime")
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise Failed(f"datetime without a timezone offset: {text}")
    return value


def _xml_rows(content: bytes, root: str, item: str) -> list[dict[str, str]]:
    tree = ET.fromstring(content)
    if tree.tag != root:
        raise Failed(f"XML root is <{tree.tag}>, expected <{root}>")
    return [{child.tag: (child.text or "") for child in node} for node in tree.findall(item)]


@dataclass
class Suite:
    client: Client
    base: str
    api_key: str | None = None
    jurisdiction_id: str | None = None
    lat: float | None = None
    long: float | None = None
    service_code: str | None = None
    personal_data: tuple[str, ...] = ()  # strings that must never appear in public output
    checks: list[Check] = field(default_factory=list)
    _created: str | None = None
    _token: str | None = None

    def url(self, path: str) -> str:
        return f"{self.base.rstrip('/')}/{path}"

    def params(self, **extra: Any) -> dict[str, Any]:
        p = {k: v for k, v in extra.items() if v is not None}
        if self.jurisdiction_id:
            p["jurisdiction_id"] = self.jurisdiction_id
        return p

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(self.url(path), params=self.params(**params))

    def check(self, name: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Failed as exc:
            self.checks.append(Check(name, False, str(exc)))
        except Exception as exc:  # a crash is a failed check, not a crashed suite
            self.checks.append(Check(name, False, f"{type(exc).__name__}: {exc}"))
        else:
            self.checks.append(Check(name, True))

    # --- individual requirements ------------------------------------------------------------

    def discovery(self) -> None:
        r = self.get("discovery.json")
        if r.status_code != 200:
            raise Failed(f"discovery.json → HTTP {r.status_code}")
        doc = r.json()
        endpoints = doc.get("endpoints") or []
        if not any("GeoReport_v2" in e.get("specification", "") for e in endpoints):
            raise Failed("no endpoint with the GeoReport_v2 specification")
        for e in endpoints:
            if not {"text/xml", "application/json"} & set(e.get("formats", [])):
                raise Failed("endpoint lists no formats")
        x = self.get("discovery.xml")
        if ET.fromstring(x.content).tag != "discovery":
            raise Failed("discovery.xml root is not <discovery>")

    def services(self) -> None:
        r = self.get("services.json")
        if r.status_code != 200:
            raise Failed(f"services.json → HTTP {r.status_code}")
        services = r.json()
        if not isinstance(services, list) or not services:
            raise Failed("services.json is not a non-empty list")
        for s in services:
            missing = [f for f in SERVICE_FIELDS if f not in s]
            if missing:
                raise Failed(f"service {s.get('service_code')} lacks {missing}")
            if s["type"] not in SERVICE_TYPES:
                raise Failed(f"service type {s['type']!r} not in {SERVICE_TYPES}")
            if str(s["metadata"]).lower() not in ("true", "false"):
                raise Failed("metadata is not a boolean")
        xml = _xml_rows(self.get("services.xml").content, "services", "service")
        if sorted(x["service_code"] for x in xml) != sorted(
            str(s["service_code"]) for s in services
        ):
            raise Failed("services.xml and services.json list different service codes")
        if self.service_code is None:
            self.service_code = str(services[0]["service_code"])

    def service_definition(self) -> None:
        code = self.service_code
        r = self.get(f"services/{code}.json")
        if r.status_code == 200:
            if str(r.json().get("service_code")) != str(code):
                raise Failed("definition names another service_code")
            x = self.get(f"services/{code}.xml")
            if ET.fromstring(x.content).tag != "service_definition":
                raise Failed("definition XML root is not <service_definition>")
        elif r.status_code not in (400, 404):
            raise Failed(f"services/{code}.json → HTTP {r.status_code}")

    def errors_format(self) -> None:
        for fmt in ("json", "xml"):
            r = self.get(f"services/no-such-service-0000.{fmt}")
            if r.status_code not in (400, 404):
                raise Failed(f"unknown service_code ({fmt}) → HTTP {r.status_code}")
            if fmt == "json":
                errs = r.json()
                if not (
                    isinstance(errs, list) and errs and {"code", "description"} <= set(errs[0])
                ):
                    raise Failed("JSON error is not [{code, description}]")
            else:
                rows = _xml_rows(r.content, "errors", "error")
                if not rows or not {"code", "description"} <= set(rows[0]):
                    raise Failed("XML error is not <errors><error><code/><description/>")
        r = self.get("requests/no-such-request-0000.json")
        if r.status_code != 404:
            raise Failed(f"unknown request → HTTP {r.status_code}, expected 404")

    def requests_list(self) -> None:
        r = self.get("requests.json")
        if r.status_code != 200:
            raise Failed(f"requests.json → HTTP {r.status_code}")
        rows = r.json()
        if not isinstance(rows, list):
            raise Failed("requests.json is not a list")
        for row in rows:
            missing = [f for f in REQUEST_FIELDS if f not in row]
            if missing:
                raise Failed(f"request {row.get('service_request_id')} lacks {missing}")
            if row["status"] not in ("open", "closed"):
                raise Failed(f"status {row['status']!r} is not open/closed")
            _iso(row["requested_datetime"])
        xml = _xml_rows(self.get("requests.xml").content, "service_requests", "request")
        if len(xml) != len(rows):
            raise Failed(f"requests.xml has {len(xml)} rows, JSON {len(rows)}")
        for status in ("open", "closed"):
            sub = self.get("requests.json", status=status).json()
            if any(x["status"] != status for x in sub):
                raise Failed(f"status={status} filter returned other statuses")
        if rows:
            some = rows[0]
            sub = self.get("requests.json", service_code=some["service_code"]).json()
            if any(str(x["service_code"]) != str(some["service_code"]) for x in sub):
                raise Failed("service_code filter returned other services")
            ids = ",".join(str(x["service_request_id"]) for x in rows[:2])
            sub = self.get("requests.json", service_request_id=ids).json()
            if sorted(str(x["service_request_id"]) for x in sub) != sorted(ids.split(",")):
                raise Failed("service_request_id list filter is wrong")
            when = _iso(some["requested_datetime"])
            sub = self.get(
                "requests.json", start_date=when.isoformat(), end_date=when.isoformat()
            ).json()
            if any(_iso(x["requested_datetime"]) != when for x in sub):
                raise Failed("start_date/end_date filter returned requests outside the range")
        bad = self.get("requests.json", start_date="not-a-date")
        if bad.status_code != 400:
            raise Failed(f"malformed start_date → HTTP {bad.status_code}, expected 400")

    def post_requires_key(self) -> None:
        r = self.client.post(
            self.url("requests.json"),
            data=self.params(
                service_code=self.service_code, lat=self.lat, long=self.long, description="test"
            ),
        )
        if r.status_code not in (400, 401, 403):
            raise Failed(f"POST without api_key → HTTP {r.status_code}")
        errs = r.json()
        if not (isinstance(errs, list) and errs and "description" in errs[0]):
            raise Failed("POST without api_key: error not in the spec's format")

    def post_and_read_back(self) -> None:
        data = self.params(
            api_key=self.api_key,
            service_code=self.service_code,
            lat=self.lat,
            long=self.long,
            description="Conformance test request 一网统管",
            first_name="Test",
            last_name="Person",
            phone="13800001111",
        )
        missing = self.client.post(
            self.url("requests.json"), data={k: v for k, v in data.items() if k != "service_code"}
        )
        if missing.status_code != 400:
            raise Failed(f"POST without service_code → HTTP {missing.status_code}, expected 400")
        r = self.client.post(self.url("requests.json"), data=data)
        if r.status_code not in (200, 201):
            raise Failed(f"POST requests.json → HTTP {r.status_code}: {r.text[:200]}")
        body = r.json()
        if not (
            isinstance(body, list)
            and body
            and ("service_request_id" in body[0] or "token" in body[0])
        ):
            raise Failed("POST response is not [{service_request_id | token}]")
        self._created = body[0].get("service_request_id")
        self._token = body[0].get("token")
        if self._created:
            got = self.get(f"requests/{self._created}.json")
            if got.status_code != 200 or str(got.json()[0]["service_code"]) != str(
                self.service_code
            ):
                raise Failed("created request not readable with its service_code")
            xml = _xml_rows(
                self.get(f"requests/{self._created}.xml").content, "service_requests", "request"
            )
            if not xml or xml[0]["service_request_id"] != str(self._created):
                raise Failed("created request not readable as XML")
            public = self.get(f"requests/{self._created}.json").text
            for secret in ("13800001111", "Person"):
                if secret in public:
                    raise Failed(f"public output carries personal data: {secret!r}")
        x = self.client.post(self.url("requests.xml"), data=data)
        if x.status_code not in (200, 201) or ET.fromstring(x.content).tag != "service_requests":
            raise Failed("POST requests.xml did not answer <service_requests>")

    def token_lookup(self) -> None:
        if not self._token:
            return
        r = self.get(f"tokens/{self._token}.json")
        if r.status_code != 200:
            raise Failed(f"tokens/{{token}}.json → HTTP {r.status_code}")
        rows = r.json()
        if not rows or "service_request_id" not in rows[0]:
            raise Failed("token lookup has no service_request_id")

    def no_personal_data(self) -> None:
        text = self.get("requests.json").text + self.get("requests.xml").text
        leaked = [p for p in self.personal_data if p and p in text]
        if leaked:
            raise Failed(f"public requests output carries personal data: {leaked}")

    def run(self) -> list[Check]:
        self.check("discovery (json, xml)", self.discovery)
        self.check("services list (json = xml, required fields)", self.services)
        self.check("service definition", self.service_definition)
        self.check("error format (json, xml) and 404s", self.errors_format)
        self.check("requests list and filters", self.requests_list)
        if self.lat is not None and self.long is not None:
            self.check("POST requires api_key", self.post_requires_key)
            if self.api_key:
                self.check(
                    "POST creates a request readable in json and xml", self.post_and_read_back
                )
                self.check("token lookup", self.token_lookup)
        self.check("no personal data in public output", self.no_personal_data)
        return self.checks


def failures(checks: Iterable[Check]) -> list[Check]:
    return [c for c in checks if not c.passed]


def main(argv: list[str] | None = None) -> int:
    import httpx

    parser = argparse.ArgumentParser(description="Open311 GeoReport v2 conformance checks")
    parser.add_argument("base_url")
    parser.add_argument("--api-key")
    parser.add_argument("--jurisdiction-id")
    parser.add_argument("--lat", type=float)
    parser.add_argument("--long", type=float)
    parser.add_argument("--service-code")
    args = parser.parse_args(argv)
    with httpx.Client(timeout=30) as client:
        checks = Suite(
            client,
            args.base_url,
            api_key=args.api_key,
            jurisdiction_id=args.jurisdiction_id,
            lat=args.lat,
            long=args.long,
            service_code=args.service_code,
        ).run()
    for c in checks:
        print(f"{'PASS' if c.passed else 'FAIL'}  {c.name}  {c.detail}")
    bad = failures(checks)
    print(f"{len(checks) - len(bad)} passed, {len(bad)} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
