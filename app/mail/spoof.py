"""Signs that a message's sender is not who the headers make them look like.

Each check names one trick seen in phishing: a display name that shows another address, an
RFC 2047 encoded-word that hides header syntax (an address, angle brackets) or direction
overrides inside the name, a domain whose letters come from several alphabets or only from
letters that imitate Latin ones (IDN homographs, RFC 5890), and a Reply-To that sends the
answer to another domain than the From. The message view shows the warnings above the headers;
nothing is blocked, because each can also happen in honest mail.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from email.utils import getaddresses

from app.mail.envelope import decode_words


def N_(message: str) -> str:
    """Marks a message for translation; the template translates it when shown."""
    return message


@dataclass(frozen=True)
class SenderWarning:
    """One reason to doubt the sender: a message id and its ``%(name)s`` values."""

    message: str
    params: dict[str, str] = field(default_factory=dict)


_ADDRESS_IN_TEXT = re.compile(r"[^\s<>()\"',;:@]+@[^\s<>()\"',;:@]+\.[^\s<>()\"',;:@]+")
# Direction overrides, embeddings, isolates and invisible separators (not ZWNJ: Persian needs it).
_HIDDEN_CHARS = re.compile("[\u200b\u2060-\u2064\ufeff\u202a-\u202e\u2066-\u2069]")
_HEADER_SYNTAX = re.compile(r"[<>@\"]")
_SCRIPT_ALIASES = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "CJK"}
# Letters of other alphabets that are drawn like Latin ones (a subset of Unicode's confusables).
_LATIN_LOOKALIKES = set(
    "аеорсухіјѕԁһӏԛԝкмтвнз"  # Cyrillic
    "οαρτιкυενχ"  # Greek (and a Cyrillic ka)
)
# Second-level labels under which organisations register (example.co.uk, example.ac.ir).
_SHARED_SECOND_LEVEL = {"co", "com", "ac", "org", "net", "gov", "edu", "or", "ne", "go", "sch"}


def sender_warnings(
    from_header: str | None, reply_to: list[tuple[str, str]]
) -> list[SenderWarning]:
    """Everything suspicious about the From header (raw, as in the message) and Reply-To."""
    raw = from_header or ""
    warnings = _encoded_word_tricks(raw)
    pairs = [(decode_words(name), addr.strip()) for name, addr in getaddresses([raw]) if addr]
    for name, address in pairs[:1]:
        warnings += _name_shows_other_address(name, address)
        if _HIDDEN_CHARS.search(name):
            warnings.append(
                SenderWarning(
                    N_("The sender's name contains hidden direction-changing characters.")
                )
            )
        warnings += _lookalike_domain(address)
        warnings += _reply_elsewhere(address, reply_to)
    return warnings


def _encoded_word_tricks(raw: str) -> list[SenderWarning]:
    """Encoded words that decode to header syntax: in a display name they fake an address,
    in the address itself they are not allowed at all (RFC 2047 section 5)."""
    found: list[SenderWarning] = []
    for match in re.finditer(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=", raw):
        decoded = decode_words(match.group(0))
        if _HEADER_SYNTAX.search(decoded) or _HIDDEN_CHARS.search(decoded):
            found.append(
                SenderWarning(
                    N_("The sender's name is encoded to look like something else: %(shown)s"),
                    {"shown": _HIDDEN_CHARS.sub("", decoded)[:200]},
                )
            )
            break
    _name, address = (getaddresses([raw]) or [("", "")])[0]
    if "=?" in address:
        found.append(SenderWarning(N_("The sender's address is written in a disguised form.")))
    return found


def _name_shows_other_address(name: str, address: str) -> list[SenderWarning]:
    for shown in _ADDRESS_IN_TEXT.findall(_HIDDEN_CHARS.sub("", name)):
        if shown.casefold() != address.casefold():
            return [
                SenderWarning(
                    N_("The sender's name shows %(shown)s, but the message is from %(address)s."),
                    {"shown": shown, "address": address},
                )
            ]
    return []


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip().rstrip(".").lower()


def _unicode_domain(domain: str) -> str:
    return ".".join(_unicode_label(label) for label in domain.split("."))


def _unicode_label(label: str) -> str:
    if not label.startswith("xn--"):
        return label
    try:
        return label.encode("ascii").decode("idna")
    except UnicodeError:
        return label  # broken punycode: shown as written


def _scripts(label: str) -> set[str]:
    scripts = set()
    for char in label:
        if not unicodedata.category(char).startswith("L"):
            continue  # digits, hyphens and marks belong to every script
        script = unicodedata.name(char, "UNKNOWN").split()[0]
        scripts.add(_SCRIPT_ALIASES.get(script, script))
    return scripts


def _lookalike_domain(address: str) -> list[SenderWarning]:
    domain = _unicode_domain(_domain(address))
    if domain.isascii():
        return []
    for label in domain.split("."):
        scripts = _scripts(label)
        mixed = len(scripts) > 1
        imitates = (
            bool(scripts)
            and "LATIN" not in scripts
            and all(
                c in _LATIN_LOOKALIKES for c in label if unicodedata.category(c).startswith("L")
            )
        )
        if mixed or imitates:
            return [
                SenderWarning(
                    N_(
                        "The sender's domain %(domain)s mixes letters of different alphabets "
                        "that look alike (%(ascii)s)."
                    ),
                    {"domain": domain, "ascii": _ascii_domain(domain)},
                )
            ]
    return []


def _ascii_domain(domain: str) -> str:
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain.encode("ascii", "backslashreplace").decode("ascii")


def _organisation(domain: str) -> str:
    """The registered domain, approximately (no public suffix list): the last two labels,
    or three under a shared second level such as ``co.uk`` or ``ac.ir``."""
    labels = domain.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SHARED_SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _reply_elsewhere(address: str, reply_to: list[tuple[str, str]]) -> list[SenderWarning]:
    home = _organisation(_unicode_domain(_domain(address)))
    for _name, target in reply_to:
        if "@" in target and _organisation(_unicode_domain(_domain(target))) != home:
            return [
                SenderWarning(
                    N_("Replies will go to %(reply_to)s, another domain than the sender's."),
                    {"reply_to": target},
                )
            ]
    return []
