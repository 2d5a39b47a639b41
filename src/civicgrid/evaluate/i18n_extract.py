"""Babel extractor for the built-in indicator-system templates (``evaluate/templates/*.yaml``).

The templates' titles, descriptions and indicator names are Chinese text that English users also
see; ``make i18n`` extracts them with this extractor (registered in ``babel.cfg``) so that they live
in the same catalog as every other interface string, and ``evaluate.localise`` translates them at
display time. Systems that users author themselves are shown as written (a string that is not in
the catalog translates to itself).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import IO, Any

import yaml

# (line number, function name, message, comments): what Babel expects from an extractor.
Message = tuple[int, str | None, str, list[str]]


def template_strings(data: Mapping[str, Any]) -> Iterator[str]:
    """Every translatable text of one parsed template, in document order."""
    for key in ("title", "description"):
        if data.get(key):
            yield str(data[key])

    def visit(nodes: list[Mapping[str, Any]]) -> Iterator[str]:
        for node in nodes:
            for key in ("name", "description"):
                if node.get(key):
                    yield str(node[key])
            yield from visit(node.get("children") or [])

    yield from visit(data.get("indicators") or [])


def extract(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Mapping[str, Any]
) -> Iterator[Message]:
    """Babel extraction entry point: one message per text, with the line it starts on."""
    source = fileobj.read().decode("utf-8")
    lines = source.splitlines()
    data = yaml.safe_load(source) or {}
    for text in template_strings(data):
        first = text.split("\n", 1)[0][:20]
        lineno = next((n for n, line in enumerate(lines, 1) if first in line), 1)
        yield lineno, None, text, []
