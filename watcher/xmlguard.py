"""Pure guards on a feed document's bytes, applied before any XML parser reads them.

Two things in a document make feedparser misbehave whatever its size limit:
- internal entities: expat refuses a billion-laughs document, and feedparser then hands it to
  its loose parser, which expands every "safe" (plain-text) entity with no bound at all. A
  385 KB feed whose one 100 KB entity is referenced 95,000 times took 15 GB. Declarations
  whose expansion would exceed a small budget are removed, so neither parser sees them;
- numeric character references to code points that cannot exist (surrogates, past U+10FFFF)
  or that XML forbids (NUL and other controls): the loose parser raises on them, which lost
  the whole feed. They become U+FFFD, except a surrogate pair written as two references,
  which is joined into the character it stands for.
"""

from __future__ import annotations

import re

# What an entity may expand to in one document, all references together.
ENTITY_BUDGET = 1_000_000
# More declarations than this are not worth counting references for: all of them go.
MAX_DECLARATIONS = 64

_FIRST_ELEMENT = re.compile(rb"<\w")
_DECLARATION = re.compile(rb"<!ENTITY([^>]*?)>")
# The declarations feedparser keeps (see feedparser.sanitizer.RE_SAFE_ENTITY_PATTERN): a
# name and a plain-text value. Any other kind it drops before either parser sees it.
_PLAIN = re.compile(rb'\s+(\w+)\s+"(&#\w+;|[^&"]*)"')
_CHARREF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")
_REPLACEMENT = b"&#xFFFD;"


def entity_expansion(data: bytes) -> int:
    """Bytes the document's plain-text entities would expand to, all references counted;
    more than the budget when there are too many declarations to count."""
    match = _FIRST_ELEMENT.search(data)
    head_end = match.start() if match else len(data)
    declarations = _DECLARATION.findall(data, 0, head_end)
    if len(declarations) > MAX_DECLARATIONS:
        return ENTITY_BUDGET + 1
    total = 0
    for declaration in declarations:
        plain = _PLAIN.match(declaration)
        if plain is not None:
            name, value = plain.groups()
            total += len(value) * data.count(b"&" + name + b";", head_end)
    return total


def bound_entities(data: bytes, budget: int = ENTITY_BUDGET) -> bytes:
    """The document without its entity declarations when they would expand past `budget`.

    References to the removed entities stay as they are: expat rejects them as undefined and
    the loose parser keeps them as text, a few bytes each.
    """
    if b"<!ENTITY" not in data or entity_expansion(data) <= budget:
        return data
    match = _FIRST_ELEMENT.search(data)
    head_end = match.start() if match else len(data)
    return _DECLARATION.sub(b"", data[:head_end]) + data[head_end:]


def _code_point(match: re.Match[bytes]) -> int | None:
    digits, base = (match.group(1), 16) if match.group(1) is not None else (match.group(2), 10)
    digits = digits.lstrip(b"0") or b"0"
    if len(digits) > 8:
        return None
    return int(digits, base)


def _allowed(code: int) -> bool:
    """XML 1.0 Char: tab, LF, CR and everything from space up, less surrogates, FFFE, FFFF."""
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def repair_charrefs(data: bytes) -> bytes:
    """Character references to impossible or forbidden code points become U+FFFD; a
    high-low surrogate pair of references becomes one reference to the character."""
    if b"&#" not in data:
        return data
    consumed = -1  # where the low half of a joined pair starts: it is already written

    def fix(match: re.Match[bytes]) -> bytes:
        nonlocal consumed
        if match.start() == consumed:
            return b""
        code = _code_point(match)
        if code is not None and _allowed(code):
            return match.group(0)
        if code is not None and 0xD800 <= code <= 0xDBFF:
            low = _CHARREF.match(data, match.end())
            low_code = _code_point(low) if low else None
            if low is not None and low_code is not None and 0xDC00 <= low_code <= 0xDFFF:
                consumed = low.start()
                joined = 0x10000 + ((code - 0xD800) << 10) + (low_code - 0xDC00)
                return b"&#x%X;" % joined
        return _REPLACEMENT

    return _CHARREF.sub(fix, data)
