"""The sync's own fast readers give what the general parsers they stand in for give."""

from __future__ import annotations

import email.utils
import random
from datetime import UTC, datetime, timedelta, timezone
from email.header import Header, decode_header, make_header
from email.parser import BytesHeaderParser
from email.policy import compat32

import pytest
from imapclient.response_parser import parse_fetch_response

from app.mail import envelope
from app.mail.encoded_words import decode_simple
from app.mail.fetch_response import parse_simple_fetch

ADDRESS_VALUES = [
    "Person 0 <person0@example.org>",
    "  Person   0   <person0@example.org> ",
    "a@b.c, D E <d@e.f>",
    "=?utf-8?b?2KzZhNiz2YcgaW52b2ljZSDYs9mB2LE=?= <x@y.z>",
    "Mr. X <x@y.z>",
    "<x@y.z>",
    "x@y.z (comment)",
    "undisclosed-recipients:;",
    '"Doe, J" <j@d.o>',
    "a@b,",
    "A <a@b>, , B <b@c>",
    "Jo\r\n Doe <j@d>",
    "a@b <c@d>",
    "a@[1.2.3.4]",
    "a @ b",
    "A\tB <a@b>",
]
HEADER_BLOCKS = [
    b"From: A <a@b>\r\nSubject: hi\r\n\tthere\r\nTo: x@y\r\n\r\n",
    b"Subject: a\r\nSubject: b\r\n",
    b"subject:x\r\n",
    b"Subject: \r\n folded\r\n",
    b"X: 1\r\n\r\nSubject: after\r\n",
    b"Subject : bad\r\nTo: a@b\r\n",
    b"Subject: a\nTo: b\n",
    b"Subject: caf\xc3\xa9\r\n",
    b"Subject: a\x0cb\r\n",
    b"Message-ID:<x@y>\r\n",
]


@pytest.mark.parametrize("value", ADDRESS_VALUES)
def test_plain_addresses_are_read_as_getaddresses_reads_them(value: str) -> None:
    slow = [
        (" ".join(envelope.decode_words(n).split()), a.strip())
        for n, a in email.utils.getaddresses([value])
        if n or a
    ]
    assert envelope.addresses(value) == slow


def test_the_fast_address_reader_takes_the_usual_forms() -> None:
    assert envelope._simple_addresses("Person 0 <p0@example.org>, q@example.org") == [
        ("Person 0", "p0@example.org"),
        ("", "q@example.org"),
    ]
    assert envelope._simple_addresses('"Doe, J" <j@d.o>') is None


@pytest.mark.parametrize("raw", HEADER_BLOCKS)
def test_plain_header_blocks_are_read_as_the_email_package_reads_them(raw: bytes) -> None:
    slow = BytesHeaderParser(policy=compat32).parsebytes(raw)
    fast = envelope._plain_headers(raw)
    for name in ("From", "To", "Subject", "Message-ID", "X"):
        if fast is not None:
            assert fast.get(name) == slow.get(name)


ENCODED_VALUES = [
    "plain  subject",
    "Re: a\r\n\tb",
    "a =?utf-8?q?b_c?= d",
    "=?utf-8?q?caf=C3=A9?=s",
    "a=?utf-8?q?caf=C3=A9?=",
    "=?utf-8?q?a?=  x  =?utf-8?q?b?=",
    "=?UTF-8?B?2q/Ysw?=",
    "=?utf-8?q?a=ZZ?=",
    "=?iso-8859-1*en?q?caf=E9?=",
    "=?utf-8?b?2q8=?= =?utf-8?b?2LM=?=",
    "=?utf-8?q?=C3?=\r\n =?utf-8?q?=A9?=",
    "=?iso-8859-1?q?caf=E9?= =?utf-8?q?b?=",
    "=?koi8-r?b?8NLJ18XU?=",
    "=?windows-1256?b?5+HU?=",
    "=?gb2312?b?xOO6ww==?=",
    "=?x-unknown?q?abc?=",
    "=?utf-8?b?@@@?=",
    "=?utf-8?b?2q?=",
    "=?utf-8?q??=",
    "=?utf-8?x?abc?=",
    "=?utf-8?q?a?b?=",
    "=? utf-8?q?a?=",
    " =?utf-8?q?a?= ",
    "(=?utf-8?q?a?=)",
    "=?utf-8?q?=FF=FE?=",
    "=?us-ascii?q?a=80?=",
]


def _generated_values() -> list[str]:
    """Encoded words as mailers write them, in every arrangement with plain words."""
    rng = random.Random(2047)
    words = ["گزارش", "café", "naïve", "Ünïcödé", "جلسه\u200cها", "ok", "a_b", "x=y?", "😀"]
    charsets = ["utf-8", "UTF-8", "iso-8859-1", "windows-1252"]
    values = []
    for _ in range(400):
        parts = []
        for _ in range(rng.randint(1, 4)):
            word = rng.choice(words)
            charset = rng.choice(charsets)
            if rng.random() < 0.3 or not _fits(word, charset):
                parts.append(rng.choice(["Re:", "plain", "(x)", "a.b", ""]))
                continue
            parts.append(Header(word, charset).encode())
        values.append(rng.choice([" ", "  ", "\r\n ", ""]).join(parts))
    return values


def _fits(word: str, charset: str) -> bool:
    try:
        word.encode(charset)
    except UnicodeEncodeError:
        return False
    return True


@pytest.mark.parametrize("value", ENCODED_VALUES + _generated_values())
def test_decoded_words_match_the_email_package(value: str) -> None:
    unfolded = value.replace("\r\n", "")
    try:
        expected = " ".join(str(make_header(decode_header(unfolded))).split())
    except (LookupError, ValueError, UnicodeError, AssertionError):
        expected = " ".join(unfolded.encode("ascii", "replace").decode("ascii").split())
    assert envelope.decode_words(value) == expected


def test_the_fast_word_reader_takes_the_usual_forms() -> None:
    """The simple cases do not fall back to the email package (which would be slow)."""
    assert decode_simple("=?utf-8?b?2q/Ysw==?=") == "گس"
    assert decode_simple("Re: =?utf-8?q?caf=C3=A9?= =?utf-8?q?_ok?=") == "Re: café ok"
    assert decode_simple("=?utf-8?q?=C3?= =?utf-8?q?=A9?=") == "é"  # one character, two words
    for unusual in ("=?x-unknown?q?a?=", "a=?utf-8?q?b?=", "=?utf-8?b?2q?=", "plain"):
        assert decode_simple(unusual) is None


LITERAL_HEAD = b"BODY[HEADER.FIELDS (FROM SUBJECT)] {%d}"
FETCH_LINES: list[object] = [
    (
        b'1 (UID 7 FLAGS (\\Seen $Label1) RFC822.SIZE 902 INTERNALDATE "28-Nov-2026 00:27:55 +0330"'
        b" MODSEQ (101) " + LITERAL_HEAD % 32,
        b"From: a@b\r\nSubject: hi there\r\n\r\n",
    ),
    b")",
    (
        b'2 (UID 9 FLAGS () RFC822.SIZE 5 INTERNALDATE " 1-Jan-2020 23:00:00 -0500" MODSEQ (3) '
        + LITERAL_HEAD % 33,
        b"From: c@d\r\nSubject: two words\r\n\r\n",
    ),
    b")",
    b"3 (UID 11 FLAGS (\\Flagged) MODSEQ (4))",
]


def test_simple_fetch_responses_read_as_imapclient_reads_them() -> None:
    fast = parse_simple_fetch(FETCH_LINES, normalise_times=False)
    slow = parse_fetch_response(FETCH_LINES, False, True)  # type: ignore[arg-type]
    assert fast == dict(slow)
    assert fast is not None and fast[7][b"INTERNALDATE"] == datetime(
        2026, 11, 28, 0, 27, 55, tzinfo=timezone(timedelta(hours=3, minutes=30))
    )
    assert fast[9][b"INTERNALDATE"].astimezone(UTC).hour == 4


@pytest.mark.parametrize(
    "lines",
    [
        [b"1 (UID 7 ENVELOPE (NIL NIL))"],  # nested lists: imapclient's job
        [b'1 (UID 7 BODY[] "quoted body")'],
        [(b"1 (" + LITERAL_HEAD % 1, b"x"), b" UID 7)"],  # the UID after the literal
        [None],
    ],
)
def test_other_fetch_responses_are_left_to_imapclient(lines: list[object]) -> None:
    assert parse_simple_fetch(lines, normalise_times=False) is None
