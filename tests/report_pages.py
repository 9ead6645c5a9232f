"""Reading rendered audit pages back, as a browser would: text, elements, attributes."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Page:
    """What a parsed HTML page contains: its visible text and every element."""

    text: str = ""
    elements: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    by_id: dict[str, str] = field(default_factory=dict)

    def tags(self) -> set[str]:
        return {tag for tag, _ in self.elements}


INLINE = frozenset({"a", "b", "code", "em", "i", "span", "strong", "sub", "wbr"})
"""Elements that do not separate words: ``a/<wbr>b.py`` reads as ``a/b.py``."""


def _words(chunks: list[str]) -> str:
    return " ".join("".join(chunks).split())


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.chunks: list[str] = []
        self.open_ids: list[tuple[str, str | None, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.page.elements.append((tag, attributes))
        if tag not in INLINE:
            self.chunks.append(" ")
        self.open_ids.append((tag, attributes.get("id"), len(self.chunks)))

    def handle_endtag(self, tag: str) -> None:
        if tag not in INLINE:
            self.chunks.append(" ")
        while self.open_ids:
            open_tag, element_id, start = self.open_ids.pop()
            if element_id:
                self.page.by_id[element_id] = _words(self.chunks[start:])
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if not (self.open_ids and self.open_ids[-1][0] == "style"):
            self.chunks.append(data)


def read_page(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    page = reader.page
    page.text = _words(reader.chunks)
    return page
