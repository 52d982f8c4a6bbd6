"""A fast reader for the usual RFC 2047 encoded words (``=?utf-8?B?...?=``).

The email package's ``decode_header`` + ``make_header`` cost 20-40 us per header: the largest
part of a first sync of a folder whose subjects and names are not ASCII. Most headers are
simple: encoded words in a common charset, separated from each other and from plain words by
spaces. ``decode_simple`` reads those and gives what the email package gives; it answers None
for anything else (an unknown charset, a damaged word, an encoded word glued to text), which
the caller then hands to the email package.
"""

from __future__ import annotations

import binascii
import codecs
import functools
import re

_WORD = re.compile(r"=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=")
# Charsets whose Python codec is the one the email package would use for them.
_CODECS = {
    "utf-8", "ascii", "latin-1", "cp1250", "cp1251", "cp1252", "cp1253", "cp1254", "cp1255",
    "cp1256", "cp1257", "cp1258", "koi8-r", "koi8-u",
    *(f"iso8859-{n}" for n in range(1, 17)),
}  # fmt: skip


def decode_simple(value: str) -> str | None:
    """``value`` with its encoded words decoded, or None when it is not the simple case
    (bytes not in their charset included: the email package then shows the header as it came)."""
    try:
        return _decode(value)
    except UnicodeDecodeError:
        return None


def _decode(value: str) -> str | None:
    pieces: list[str] = []
    run = bytearray()  # adjacent words of one charset decode together (RFC 2047 6.2)
    run_codec = ""
    position = 0
    for word in _WORD.finditer(value):
        codec = _codec(word.group(1))
        payload = _payload(word.group(2), word.group(3))
        if codec is None or payload is None:
            return None
        between = value[position : word.start()]
        if between.strip() or position == 0:  # plain text (or the start) before this word
            if not _separated(between, first=position == 0):
                return None
            if run:
                pieces.append(run.decode(run_codec))
            pieces.append(between)
            run = bytearray()
        elif codec != run_codec:  # the space between encoded words is dropped either way
            pieces.append(run.decode(run_codec))
            run = bytearray()
        run += payload
        run_codec = codec
        position = word.end()
    tail = value[position:]
    if position == 0 or not _separated(tail, last=True):
        return None
    return "".join([*pieces, run.decode(run_codec), tail])


def _separated(text: str, *, first: bool = False, last: bool = False) -> bool:
    """Whether plain ``text`` between encoded words is spaced from them as the email package
    expects (it would insert a space where there is none) and holds no broken word."""
    if not text:
        return True
    if "=?" in text:
        return False
    return (first or text[0].isspace()) and (last or text[-1].isspace())


@functools.lru_cache(maxsize=64)
def _codec(charset: str) -> str | None:
    try:
        name = codecs.lookup(charset).name
    except LookupError:
        return None
    return name if name in _CODECS else None


def _payload(encoding: str, text: str) -> bytes | None:
    try:
        if encoding in "Bb":
            missing = len(text) % 4
            padded = text + "==="[: 4 - missing] if missing else text
            return binascii.a2b_base64(padded)
        return binascii.a2b_qp(text.encode("ascii"), header=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
