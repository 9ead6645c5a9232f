"""A tiny HTML/SVG builder that escapes everything it is not told is markup.

The audit page shows paths, messages and source lines from the analysed code. Instead
of remembering to escape each one, text is escaped by default and only markup that
this builder produced (:class:`Markup`) passes through unchanged, so an untrusted
string can never become a tag or an attribute.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Union

Child = Union["Markup", str, int, float, None, Iterable["Child"]]
AttributeValue = Union[str, int, float, bool, None]


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
            parts.append(html.escape(str(child), quote=True))
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
            rendered.append(f' {_attribute_name(name)}="{html.escape(str(value), quote=True)}"')
    return "".join(rendered)


VOID_ELEMENTS = frozenset({"meta", "br", "hr", "img", "link", "input", "col"})


def element(tag: str, *children: Child, **attributes: AttributeValue) -> Markup:
    """``<tag attributes>children</tag>`` with every text child and value escaped."""
    opening = f"<{tag}{_attributes(attributes)}>"
    if tag in VOID_ELEMENTS:
        return Markup(opening)
    return Markup(f"{opening}{render_children(children)}</{tag}>")
