"""addressbook-query filters (RFC 6352 10.5) on vCards: text-match collations and match types,
negation, anyof/allof, param-filter and is-not-defined; and the search column that narrows
candidates in SQL never drops a card the exact test accepts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app.contacts import search, service
from app.contacts.models import AddressBook, Card
from app.contacts.query import (
    CardFilter,
    CardParamFilter,
    CardPropFilter,
    CardTextMatch,
    card_matches,
)
from app.davsync import text_matches

# Presentation forms of علی (U+FECB U+FEE0 U+FBFD), as text pasted from old PDFs comes.
ALI_FORMS = "\ufecb\ufee0\ufbfd"
SHADDA_FATHA, FATHA_SHADDA = "محمّ\u064ed", "محم\u064e\u0651d"


def card(uid: str, *lines: str, version: str = "4.0") -> str:
    body = "\r\n".join(lines)
    return f"BEGIN:VCARD\r\nVERSION:{version}\r\nUID:{uid}\r\n{body}\r\nEND:VCARD\r\n"


ALI = card(
    "ali",
    "FN:علی رضایی",
    "EMAIL;TYPE=work:Ali.Rezaei@Example.COM",
    "EMAIL;TYPE=home:ali@home.ir",
    "TEL;TYPE=cell:+98 912 000 1111",
)
SARA = card("sara", "FN:Sara Ahmadi", "N:Ahmadi;Sara;;;", "EMAIL:sara@example.com", "NICKNAME:Sari")
KAF = card("kaf", "FN:كريم", "EMAIL;TYPE=INTERNET,WORK:karim@example.com", version="3.0")
ETIENNE = card("etienne", "FN:Étienne Straße")
CARDS = {"ali": ALI, "sara": SARA, "kaf": KAF, "etienne": ETIENNE}


def match(text: str, match_type: str = "contains", **kw: object) -> CardTextMatch:
    return CardTextMatch(text, match_type=match_type, **kw)  # type: ignore[arg-type]


def prop(name: str, *tests: CardTextMatch, **kw: object) -> CardPropFilter:
    return CardPropFilter(name, text_matches=list(tests), **kw)  # type: ignore[arg-type]


def matching(flt: CardFilter) -> set[str]:
    return {name for name, text in CARDS.items() if card_matches(text, flt)}


@pytest.mark.parametrize(
    ("needle", "value", "collation", "match_type", "expected"),
    [
        ("ALI.REZ", "Ali.Rezaei@Example.COM", "i;unicode-casemap", "contains", True),
        ("ali", "ALI", "i;ascii-casemap", "equals", True),
        ("ali", "ALI", "i;octet", "equals", False),
        ("étienne", "ÉTIENNE", "i;unicode-casemap", "equals", True),
        # i;ascii-casemap folds a-z only (RFC 4790 9.2)
        ("étienne", "ÉTIENNE", "i;ascii-casemap", "equals", False),
        # RFC 5051: simple titlecase, so ß stays ß and does not equal "ss"
        ("strasse", "Straße", "i;unicode-casemap", "equals", False),
        # NFKD: Arabic presentation forms are the letters they show
        ("علی", ALI_FORMS, "i;unicode-casemap", "equals", True),
        ("علی", ALI_FORMS, "i;octet", "equals", False),
        # Arabic kaf/yeh and Persian keheh/yeh are different letters: no folding between them
        ("کریم", "كريم", "i;unicode-casemap", "equals", False),
        # canonical order of harakat: shadda+fatha and fatha+shadda are the same text
        (SHADDA_FATHA, FATHA_SHADDA, "i;unicode-casemap", "equals", True),
        (SHADDA_FATHA, FATHA_SHADDA, "i;octet", "equals", False),
        ("رضا", "علی رضایی", "i;unicode-casemap", "contains", True),
        ("علی", "علی رضایی", "i;unicode-casemap", "starts-with", True),
        ("رضایی", "علی رضایی", "i;unicode-casemap", "ends-with", True),
        ("رضایی", "علی رضایی", "i;unicode-casemap", "starts-with", False),
        ("", "anything", "i;unicode-casemap", "contains", True),
    ],
)
def test_text_match_collations_and_match_types(
    needle: str, value: str, collation: str, match_type: str, expected: bool
) -> None:
    assert (
        text_matches(needle, value, collation=collation, match_type=match_type, negate=False)
        is expected
    )
    assert (
        text_matches(needle, value, collation=collation, match_type=match_type, negate=True)
        is not expected
    )


def test_no_filter_matches_every_card() -> None:
    assert matching(CardFilter()) == set(CARDS)


def test_negate_needs_the_property_and_any_instance_may_pass() -> None:
    not_ali = CardFilter([prop("EMAIL", match("ali", negate=True))])
    # ali has two EMAILs, both with "ali"; étienne has no EMAIL at all, so no instance to test
    assert matching(not_ali) == {"sara", "kaf"}
    not_home = CardFilter([prop("EMAIL", match("home.ir", negate=True))])
    assert "ali" in matching(not_home)  # the work address passes


def test_anyof_and_allof_between_prop_filters() -> None:
    fn_sara = prop("FN", match("sara"))
    email_karim = prop("EMAIL", match("karim"))
    assert matching(CardFilter([fn_sara, email_karim])) == {"sara", "kaf"}
    assert matching(CardFilter([fn_sara, email_karim], all_of=True)) == set()
    nick = prop("NICKNAME", match("sar"))
    assert matching(CardFilter([fn_sara, nick], all_of=True)) == {"sara"}


def test_anyof_and_allof_inside_a_prop_filter() -> None:
    both = prop("EMAIL", match("ali"), match("home"), all_of=True)
    either = prop("EMAIL", match("sara"), match("karim"))
    assert matching(CardFilter([both])) == {"ali"}
    assert matching(CardFilter([either])) == {"sara", "kaf"}


def test_param_filter() -> None:
    work = CardParamFilter("TYPE", text_match=CardTextMatch("work", match_type="equals"))
    assert matching(CardFilter([CardPropFilter("EMAIL", params=[work])])) == {"ali", "kaf"}
    untyped = CardParamFilter("TYPE", is_not_defined=True)
    assert matching(CardFilter([CardPropFilter("EMAIL", params=[untyped])])) == {"sara"}


def test_is_not_defined_and_bare_prop_filter() -> None:
    assert matching(CardFilter([CardPropFilter("NICKNAME", is_not_defined=True)])) == {
        "ali",
        "kaf",
        "etienne",
    }
    assert matching(CardFilter([CardPropFilter("TEL")])) == {"ali"}


def test_persian_and_arabic_text_in_cards() -> None:
    assert matching(CardFilter([prop("FN", match(ALI_FORMS, "starts-with"))])) == {"ali"}
    assert matching(CardFilter([prop("FN", match("کریم"))])) == set()
    assert matching(CardFilter([prop("FN", match("كريم"))])) == {"kaf"}


@pytest.fixture
def book_session() -> Iterator[tuple[Session, AddressBook]]:
    engine = create_engine("sqlite://")
    AddressBook.__table__.create(engine)  # type: ignore[attr-defined]
    Card.__table__.create(engine)  # type: ignore[attr-defined]
    from app.contacts.models import CardChange

    CardChange.__table__.create(engine)  # type: ignore[attr-defined]
    with Session(engine) as db:
        book = AddressBook(owner_email="a@example.com", slug="contacts")
        db.add(book)
        db.flush()
        for name, text in CARDS.items():
            service.put_card(db, book=book, name=f"{name}.vcf", text=text)
        yield db, book


FILTERS = [
    CardFilter([prop("FN", match(ALI_FORMS, "starts-with"))]),
    CardFilter([prop("FN", match("رضایی", "ends-with"))]),
    CardFilter([prop("FN", match("étienne straße", "equals"))]),
    CardFilter([prop("FN", match("ÉTIENNE", "starts-with", collation="i;ascii-casemap"))]),
    CardFilter([prop("EMAIL", match("EXAMPLE.com"))]),
    CardFilter([prop("EMAIL", match("100%_"))]),
    CardFilter([prop("EMAIL", match("ali", negate=True))]),
    CardFilter([prop("NICKNAME", match("sar")), prop("FN", match("كر"))]),
    CardFilter([prop("NICKNAME", match("sar")), prop("FN", match("sara"))], all_of=True),
    CardFilter([CardPropFilter("NICKNAME", is_not_defined=True)]),
    CardFilter([CardPropFilter("TEL")]),
    CardFilter([CardPropFilter("EMAIL", params=[CardParamFilter("TYPE", is_not_defined=True)])]),
    CardFilter([prop("PHOTO", match("x"))]),
]


@pytest.mark.parametrize("flt", FILTERS)
def test_sql_narrowing_keeps_every_match(
    book_session: tuple[Session, AddressBook], flt: CardFilter
) -> None:
    db, book = book_session
    expected = {f"{name}.vcf" for name in matching(flt)}
    assert {row.name for row in service.query_cards(db, book=book, flt=flt)} == expected
    candidates = set(db.scalars(select(Card.name).where(search.candidate_clause(flt))))
    assert expected <= candidates


def test_cards_without_a_search_column_stay_candidates(
    book_session: tuple[Session, AddressBook],
) -> None:
    db, book = book_session
    for stored in db.scalars(select(Card)):
        stored.search = None
    db.flush()
    flt = CardFilter([prop("FN", match("sara"))])
    assert [row.name for row in service.query_cards(db, book=book, flt=flt)] == ["sara.vcf"]


def test_the_search_key_drops_marks_and_keeps_substrings() -> None:
    assert search.search_key(SHADDA_FATHA) == search.search_key(FATHA_SHADDA)
    assert search.search_key("رضا") in search.search_key("علی رضایی")
    assert search.search_key(ALI_FORMS) == search.search_key("علی")
