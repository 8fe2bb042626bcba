"""The postmortem as HTML: Markdown rendered on the server with raw HTML off and links allow-listed.

markdown-it-py with `html=False` escapes any tag in the text, so a `<script>` in an incident or a dataset
description arrives as visible text. Links are limited to http(s), mailto, in-page anchors and DataHub
URNs; an URN link is pointed at the entity page (or the DataHub UI when configured).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = ["entity_href", "render_markdown"]

_ALLOWED_SCHEMES = ("http://", "https://", "mailto:", "#", "urn:li:")
_UI_PATHS = {"dataset": "dataset", "chart": "chart", "dashboard": "dashboard"}


def entity_href(urn: str, ui_url: str | None = None) -> str:
    """Where a link to an entity goes: the DataHub UI if configured, else our embedded entity page."""
    if ui_url:
        kind = urn.split(":")[2] if urn.count(":") >= 2 else "dataset"
        return f"{ui_url.rstrip('/')}/{_UI_PATHS.get(kind, kind)}/{quote(urn, safe='')}"
    return f"/entity?urn={quote(urn, safe='')}"


def _make_renderer(ui_url: str | None) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
    # markdown-it-py documents replacing validateLink per instance; its stubs declare it a method
    md.validateLink = lambda url: url.strip().lower().startswith(_ALLOWED_SCHEMES)  # type: ignore[method-assign]

    def link_open(renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        token = tokens[idx]
        href = str(token.attrGet("href") or "")
        if href.startswith("urn:li:"):
            token.attrSet("href", entity_href(href, ui_url))
        if href.startswith(("http://", "https://")):
            token.attrSet("rel", "noopener noreferrer")
        return str(renderer.renderToken(tokens, idx, options, env))

    md.add_render_rule("link_open", link_open)
    return md


def render_markdown(text: str, *, ui_url: str | None = None) -> str:
    """Safe HTML for `text`."""
    return _make_renderer(ui_url).render(text or "")
