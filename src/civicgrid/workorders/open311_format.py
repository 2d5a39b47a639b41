"""Open311 GeoReport v2 documents in JSON and XML. Pure: dicts in, bytes out.

The spec (wiki.open311.org/GeoReport_v2) makes XML the required format, so every document here
renders to both. Element names follow the spec: ``services/service``, ``service_requests/request``,
``service_definition/attributes/attribute/values/value``, ``discovery/endpoints/endpoint/formats/
format``, ``errors/error``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

# How a list-valued field's items are named in XML.
LIST_ITEMS = {
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
    "timeline": "event",
    "keywords": "keyword",
}


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def _element(name: str, value: Any) -> str:
    if isinstance(value, Mapping):
        inner = "".join(_element(k, v) for k, v in value.items())
        return f"<{name}>{inner}</{name}>"
    if isinstance(value, list | tuple):
        item = LIST_ITEMS.get(name, "item")
        inner = "".join(_element(item, v) for v in value)
        return f"<{name}>{inner}</{name}>"
    if value is None:
        return f"<{name}/>"
    return f"<{name}>{_scalar(value)}</{name}>"


def to_xml(
    root: str, item: str | None, body: Sequence[Mapping[str, Any]] | Mapping[str, Any]
) -> bytes:
    """``<root><item>…</item>…</root>`` for lists, ``<root>…</root>`` for one mapping."""
    if isinstance(body, Mapping):
        inner = "".join(_element(k, v) for k, v in body.items())
    else:
        assert item is not None
        inner = "".join(_element(item, row) for row in body)
    return f'<?xml version="1.0" encoding="utf-8"?><{root}>{inner}</{root}>'.encode()


def errors_doc(code: int, description: str) -> list[dict[str, Any]]:
    return [{"code": code, "description": description}]


ROOTS: dict[str, tuple[str, str | None]] = {
    "services": ("services", "service"),
    "requests": ("service_requests", "request"),
    "errors": ("errors", "error"),
    "discovery": ("discovery", None),
    "definition": ("service_definition", None),
}
