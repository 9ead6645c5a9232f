"""A tiny HTML/SVG builder that escapes everything it is not told is markup.

The audit page shows paths, messages and source lines from the analysed code. Instead
of remembering to escape each one, text is escaped by default and only markup that
this builder produced (:class:`Markup`) passes through unchanged, so an untrusted
string can never become a tag or an attribute. Control and bidirectional characters
(U+202E and the rest: "Trojan Source") are shown as their escapes (``\\u202e``), as in
the text report, so a file name or a line of code reads in the page as it is stored.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Union

Child = Union["Markup", str, int, float, None, Iterable["Child"]]
AttributeValue = Union[str, int, float, bool, None]


_INVISIBLE = re.compile(
    "[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]"
)
"""What :func:`portcheck.report.terminal.printable` escapes, but tabs and newlines."""


def escape(text: str) -> str:
    """``text`` as HTML text or attribute value, invisible characters shown as escapes."""
    shown = _INVISIBLE.sub(lambda match: match.group().encode("unicode_escape").decode(), text)
    return html.escape(shown, quote=True)


class Markup(str):
    """HTML that the builder made; it is never escaped again."""


def render_children(children: Iterable[Child]) -> Markup:
    parts: list[str] = []
    for child in children:
        if child is None:
            continue
        if isinstance(child, Markup):
            parts.append(child)
        elif isinstance(child, (str, int, float)):
            parts.append(escape(str(child)))
        else:
            parts.append(render_children(child))
    return Markup("".join(parts))


def _attribute_name(name: str) -> str:
    """``class_`` → ``class``, ``stroke_width`` → ``stroke-width``; ``viewBox`` unchanged."""
    return name.rstrip("_").replace("_", "-")


def _attributes(attributes: Mapping[str, AttributeValue]) -> str:
    rendered = []
    for name, value in attributes.items():
        if value is None or value is False:
            continue
        if value is True:
            rendered.append(f" {_attribute_name(name)}")
        else:
            rendered.append(f' {_attribute_name(name)}="{escape(str(value))}"')
    return "".join(rendered)


VOID_ELEMENTS = frozenset({"meta", "br", "hr", "img", "link", "input", "col"})


def element(tag: str, *children: Child, **attributes: AttributeValue) -> Markup:
    """``<tag attributes>children</tag>`` with every text child and value escaped."""
    opening = f"<{tag}{_attributes(attributes)}>"
    if tag in VOID_ELEMENTS:
        return Markup(opening)
    return Markup(f"{opening}{render_children(children)}</{tag}>")
