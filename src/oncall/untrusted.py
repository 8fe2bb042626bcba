"""Untrusted text (incident words, catalog names and descriptions, model output) kept as text.

One place for the three rules every door (CLI, HTTP API, MCP) and every writer (DataHub, postmortem)
applies, so none of them can forget one:

- `bound_incident`: an incident report keeps at most `MAX_WORDS` distinct words of at most
  `MAX_WORD_CHARS` characters and `MAX_INCIDENT_CHARS` in all; it says what it dropped. Searches bound
  their words with `bound_words` the same way (a catalog LIKE chain must stay small).
- `strip_controls`: terminal control sequences (ANSI CSI, OSC such as hyperlinks and window titles)
  and other control characters are removed before text is printed or written to DataHub.
- `md_escape`: text placed in Markdown is escaped, so `[x](https://evil.example)` stays visible text
  and never becomes a link or an image.
- `model_text`: free text a model wrote (titles, Slack, summaries): one bounded, control-free text whose
  links (Markdown, Slack `<url|label>`, autolinks) survive only when they point at an entity in scope.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

__all__ = [
    "MAX_INCIDENT_CHARS",
    "MAX_REQUEST_CHARS",
    "MAX_WORDS",
    "MAX_WORD_CHARS",
    "Bounded",
    "bound_incident",
    "bound_words",
    "clip",
    "md_escape",
    "model_text",
    "strip_controls",
    "unlink",
]

MAX_INCIDENT_CHARS = 2000
"""Longest incident report the agents see; longer reports are cut at a word boundary."""
MAX_REQUEST_CHARS = 200_000
"""Largest incident body a door accepts at all (beyond it the API answers 422); the loop then bounds it."""
MAX_WORDS = 40
"""Distinct words of an incident report (and of one catalog search) kept, in order."""
MAX_WORD_CHARS = 64
"""Longer "words" name nothing in a catalog (a pasted blob, a token); they are dropped."""

# ESC-led sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other two-byte escapes; and the
# 8-bit C1 forms (U+009B CSI, U+009D OSC) some terminals also obey.
_OSC = r"(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
_CSI = r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
_OTHER_ESC = r"\x1b[P^_X][^\x1b\x9c]*(?:\x1b\\|\x9c)?|\x1b[@-Z\\-_]?"
_SEQUENCE = re.compile(f"{_OSC}|{_CSI}|{_OTHER_ESC}")
_WORD = re.compile(r"\S+")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\(\s*<?((?:[^()\s<>]|\([^()\s]*\))*)>?(?:\s+\"[^\"]*\")?\s*\)")
_SLACK_LINK = re.compile(r"<([^<>|\s]+)(?:\|([^<>]*))?>")
_MD_SPECIAL = re.compile(r"([\\\[\]<>!])")


def strip_controls(text: str, *, keep_newlines: bool = False) -> str:
    """`text` without escape sequences or control characters (tabs become spaces).

    With `keep_newlines`, line breaks stay (descriptions, view logic, Markdown); otherwise they become
    spaces too.
    """
    if not text:
        return text
    text = _SEQUENCE.sub("", text)
    out = []
    for ch in text:
        if ch == "\n" and keep_newlines:
            out.append(ch)
        elif ch in "\t\r\n":
            out.append(" ")
        elif unicodedata.category(ch) == "Cc" or ch in "\u2028\u2029\u202e\u202d\u2066\u2067\u2068":
            continue  # C0/C1 controls, and bidi overrides that reorder what a terminal shows
        else:
            out.append(ch)
    return "".join(out)


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "\u2026"


def one_line(text: object, limit: int) -> str:
    """`text` on one line (every run of white space one space), at most `limit` characters."""
    return clip(" ".join(str(text).split()), limit)


def md_escape(text: str) -> str:
    """Text for Markdown: control characters removed, and every character that could open a link, an
    image, an autolink or HTML (and the backslash itself) escaped with a backslash (CommonMark).

    Emphasis and code spans stay: they change how text looks, never where a click goes.
    """
    return _MD_SPECIAL.sub(r"\\\1", strip_controls(text))


def bound_words(words: list[str] | tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Keep words of at most `MAX_WORD_CHARS`, in order, until `MAX_WORDS` distinct ones are seen
    (repeats of a kept word stay); return (kept, notes on what was dropped)."""
    kept: list[str] = []
    distinct: set[str] = set()
    too_long = beyond = 0
    for word in words:
        if len(word) > MAX_WORD_CHARS:
            too_long += 1
        elif word in distinct or len(distinct) < MAX_WORDS:
            distinct.add(word)
            kept.append(word)
        else:
            beyond += 1
    notes = []
    if too_long:
        notes.append(f"dropped {too_long} word(s) longer than {MAX_WORD_CHARS} characters")
    if beyond:
        notes.append(f"dropped {beyond} word(s) after the first {MAX_WORDS} distinct words")
    return kept, notes


@dataclass(frozen=True)
class Bounded:
    """An incident report after the bound, and what was dropped to get there (empty: nothing)."""

    text: str
    dropped: list[str] = field(default_factory=list)


def _has_controls(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" and ch not in " \t\r\n" for ch in text)


def bound_incident(text: str) -> Bounded:
    """The incident report as the agents see it: one line, no control characters, bounded words.

    Every door calls this (the incident loop does), so a 100 KB word or 400 distinct words give the
    same answer on the CLI, the API and MCP: the first words are kept and the rest named as dropped.
    """
    notes = ["removed terminal control characters"] if _has_controls(text) else []
    words, dropped = bound_words(_WORD.findall(strip_controls(text)))
    notes += dropped
    out = " ".join(words)
    if len(out) > MAX_INCIDENT_CHARS:
        out = out[:MAX_INCIDENT_CHARS].rsplit(" ", 1)[0]
        notes.append(f"cut the report to {MAX_INCIDENT_CHARS} characters")
    return Bounded(out, notes)


def _allowed(target: str, allowed: set[str]) -> bool:
    from urllib.parse import unquote

    plain = unquote(target)
    return any(urn == plain or urn in plain for urn in allowed)


def unlink(text: str, allowed: set[str]) -> str:
    """`text` with every link whose target names no URN of `allowed` replaced by its label."""

    def markdown(match: re.Match[str]) -> str:
        return match.group(0) if _allowed(match.group(2), allowed) else match.group(1)

    def slack(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("!"):
            return ""  # <!channel>, <!here>: a model may not page a whole channel
        if target.startswith(("@", "#")) or _allowed(target, allowed):
            return match.group(0)  # a person or a channel named, or a link to an entity in scope
        return label if label is not None else target.split("://", 1)[-1]

    return _SLACK_LINK.sub(slack, _MD_LINK.sub(markdown, text))


def model_text(text: str, allowed: set[str], limit: int, *, keep_newlines: bool = True) -> str:
    """Free text from a model, made safe to store and show: no control characters, links only to
    entities in `allowed`, at most `limit` characters."""
    return clip(unlink(strip_controls(text, keep_newlines=keep_newlines), allowed).strip(), limit)
