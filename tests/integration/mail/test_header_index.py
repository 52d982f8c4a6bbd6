"""The quick header search through its trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL):
the same hits as a plain substring search, kept in step with the cache by the sync."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.header import Header

import pytest
from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from app.db import make_engine, make_session_factory
from app.mail import header_index, service
from app.mail.envelope import envelope_row
from app.mail.imap import MailAccount
from app.mail.models import MailEnvelope, MailFolderState
from app.mail.search import normalize, query_terms
from app.settings import Settings
from tests.integration.mail.conftest import deliver, make_message, other_client
from tests.live import fresh_postgres

START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_settings(request: pytest.FixtureRequest, migrated_settings: Settings) -> Iterator[Settings]:
    """The test settings over a migrated database of each supported kind."""
    if request.param == "sqlite":
        yield migrated_settings
        return
    with fresh_postgres(migrated_settings) as settings:
        yield settings


@pytest.fixture
def any_db(any_settings: Settings) -> Iterator[Session]:
    engine = make_engine(any_settings)
    with make_session_factory(engine)() as session:
        yield session
    engine.dispose()


def _account(email: str) -> MailAccount:
    return MailAccount(key=uuid.uuid4().hex, email=email, password="", endpoint=None)  # type: ignore[arg-type]


def _cache(db: Session, owner: str, messages: list[tuple[str, str]], **dates: int) -> None:
    """Envelopes of (sender, subject) in ``owner``'s INBOX, made as the sync makes them; the
    n-th is dated n minutes after START (``same_minute=k``: every k in the same minute)."""
    state = MailFolderState(owner=owner, name="INBOX", uidvalidity=1)
    db.add(state)
    db.flush()
    rows = []
    for uid, (sender, subject) in enumerate(messages, 1):
        minute = uid // dates.get("same_minute", 1)
        raw = f"From: {sender}\r\nTo: {owner}\r\nSubject: {Header(subject, 'utf-8').encode()}"
        data = {b"BODY[HEADER]": raw.encode(), b"INTERNALDATE": START + timedelta(minutes=minute)}
        rows.append({**envelope_row(uid, data, 0), "folder_id": state.id, "owner": owner})
    db.execute(insert(MailEnvelope.__table__), rows)
    db.commit()


def _subjects(db: Session, owner: str, query: str) -> list[str]:
    hits = service.quick_search(db, account=_account(owner), query=query, limit=500)
    return [hit.envelope.subject for hit in hits]


def _substring_oracle(db: Session, owner: str, query: str) -> list[str]:
    """What the search must answer, worked out in Python: newest first, every word a
    substring of the normalised headers."""
    rows = db.scalars(select(MailEnvelope).where(MailEnvelope.owner == owner)).all()
    terms = query_terms(query)
    found = [r for r in rows if terms and all(t in r.search_text for t in terms)]
    return [r.subject for r in sorted(found, key=lambda r: (r.date, r.id), reverse=True)]


MESSAGES = [
    ("Sara Ahmadi <sara@example.org>", "Quarterly budgetary review"),
    ("Bob <bob@example.com>", "گزارش\u200cهای مالی"),  # with a zero-width non-joiner
    ("Ali <ali@example.com>", "كتاب يادداشت"),  # Arabic kaf and yeh
    ("Reza <reza@example.net>", 'say "hi" to the NEAR team AND others'),
    ("Mina <mina@example.net>", "a*b^c (x) -y: z OR w"),
]


def test_words_match_anywhere_and_nothing_matches_nothing(any_db: Session) -> None:
    _cache(any_db, "alice@example.com", MESSAGES)
    alice = "alice@example.com"
    assert _subjects(any_db, alice, "zqxjvw") == []
    assert _subjects(any_db, alice, "sara zqxjvw") == []
    assert _subjects(any_db, alice, "getar") == ["Quarterly budgetary review"]  # mid-word
    assert _subjects(any_db, alice, "BUDGET sara") == ["Quarterly budgetary review"]
    assert _subjects(any_db, alice, "ra") == _substring_oracle(any_db, alice, "ra") != []
    for spelling in ("گزارشهای", "گزارش\u200cهای", "گزارش"):
        assert _subjects(any_db, alice, spelling) == ["گزارش\u200cهای مالی"], spelling
    for spelling in ("کتاب", "كتاب", "یادداشت", "يادداشت"):  # Persian and Arabic letters
        assert _subjects(any_db, alice, spelling) == ["كتاب يادداشت"], spelling


@pytest.mark.parametrize(
    "query",
    ['"hi"', '"', '""', 'say "hi', "AND", "and others", "NEAR", "NEAR(team", "near/2", "*", "a*b",
     "^c", "b^c", "(x)", "-y:", "OR w", "NOT", "te*", "'", "%", "_", "/", "\\"],
)  # fmt: skip
def test_quotes_and_query_syntax_are_searched_as_text(any_db: Session, query: str) -> None:
    alice = "alice@example.com"
    _cache(any_db, alice, MESSAGES)
    assert _subjects(any_db, alice, query) == _substring_oracle(any_db, alice, query)


def test_two_users_never_see_each_others_hits(any_db: Session) -> None:
    _cache(any_db, "alice@example.com", [("Sara <sara@example.org>", "secret plans 7f3k")])
    _cache(any_db, "bob@example.com", [("Bob <bob@example.com>", "other plans")])
    assert _subjects(any_db, "bob@example.com", "7f3k") == []
    assert _subjects(any_db, "bob@example.com", "plans") == ["other plans"]
    assert _subjects(any_db, "alice@example.com", "plans") == ["secret plans 7f3k"]
    assert _subjects(any_db, "carol@example.com", "plans") == []


@pytest.mark.parametrize("cap", [3, 100_000])  # the walk by date, and the candidates only
def test_pages_are_the_same_whichever_way_the_words_are_found(
    any_db: Session, cap: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Common and rare words, dates shared by several messages (the id orders those), every
    page: as a substring search over all of them would give."""
    monkeypatch.setattr(header_index, "CANDIDATE_CAP", cap)
    alice = "alice@example.com"
    words = ["weekly report", "budget", "weekly budget", "travel"]
    messages = [(f"P{n} <p{n}@example.org>", words[n % 4]) for n in range(90)]
    _cache(any_db, alice, messages, same_minute=7)
    _cache(any_db, "bob@example.com", [("Bob <bob@example.com>", "weekly report")] * 5)
    account = _account(alice)
    for query in ["weekly", "budget", "weekly budget", "travel", "p7", "p77@", "zqxjvw", "b"]:
        expected = _substring_oracle(any_db, alice, query)
        pages = []
        for offset in range(0, 100, 20):
            hits = service.quick_search(
                any_db, account=account, query=query, limit=20, offset=offset
            )
            pages += [(h.folder, h.envelope.subject, h.envelope.uid) for h in hits]
        assert [subject for _, subject, _ in pages] == expected, query
        assert len({uid for _, _, uid in pages}) == len(pages)  # no envelope twice


def test_the_index_follows_sync_flag_changes_and_expunges(
    any_settings: Settings, any_db: Session, account: MailAccount
) -> None:
    word = f"kx{uuid.uuid4().hex[:6]}"
    for n in range(3):
        subject = f"note {n} {word}" if n else f"unrelated {n}"
        deliver(any_settings, account.email, make_message(to=account.email, subject=subject))
    service.refresh_folder(any_db, account=account, folder="INBOX")
    any_db.commit()
    assert _subjects(any_db, account.email, word) == [f"note 2 {word}", f"note 1 {word}"]

    other = other_client(any_settings, account.email)
    other.select_folder("INBOX")
    other.add_flags([2, 3], [b"\\Seen", b"\\Flagged"])
    service.refresh_folder(any_db, account=account, folder="INBOX")
    any_db.commit()
    assert _subjects(any_db, account.email, word) == [f"note 2 {word}", f"note 1 {word}"]
    _assert_index_in_step(any_db)

    other.delete_messages([2])
    other.expunge()
    other.logout()
    deliver(any_settings, account.email, make_message(to=account.email, subject=f"late {word}"))
    service.refresh_folder(any_db, account=account, folder="INBOX")
    any_db.commit()
    assert _subjects(any_db, account.email, word) == [f"late {word}", f"note 2 {word}"]
    assert _subjects(any_db, account.email, "note") == [f"note 2 {word}"]
    _assert_index_in_step(any_db)


def test_the_index_follows_a_changed_text_and_a_deleted_folder(any_db: Session) -> None:
    alice = "alice@example.com"
    _cache(any_db, alice, MESSAGES)
    any_db.execute(
        update(MailEnvelope)
        .where(MailEnvelope.subject == MESSAGES[0][1])
        .values(search_text=normalize("Renamed thing"))
    )
    any_db.commit()
    assert _subjects(any_db, alice, "budgetary") == []
    assert _subjects(any_db, alice, "renamed") == [MESSAGES[0][1]]
    _assert_index_in_step(any_db)
    any_db.delete(any_db.scalars(select(MailFolderState)).one())  # its envelopes cascade
    any_db.commit()
    assert _subjects(any_db, alice, "renamed") == []
    _assert_index_in_step(any_db)


def _assert_index_in_step(db: Session) -> None:
    """SQLite: FTS5 compares its index with the envelopes themselves (external content)."""
    if db.get_bind().dialect.name == "sqlite":
        db.execute(
            text(
                "INSERT INTO mail_envelope_fts(mail_envelope_fts, rank) "
                "VALUES ('integrity-check', 1)"
            )
        )


def test_sqlite_searches_a_nul_character_as_text(db: Session) -> None:
    """FTS5 would take a NUL for the end of its query ("unterminated string")."""
    _cache(db, "alice@example.com", MESSAGES)
    assert _subjects(db, "alice@example.com", "budg\x00et") == []


def test_sqlite_has_the_index_and_its_triggers_at_head(db: Session) -> None:
    """A later migration that rebuilds mail_envelope (batch mode) drops the triggers."""
    names = set(
        db.scalars(text("SELECT name FROM sqlite_master WHERE name LIKE 'mail_envelope_fts%'"))
    )
    assert {
        "mail_envelope_fts",
        "mail_envelope_fts_insert",
        "mail_envelope_fts_delete",
        "mail_envelope_fts_update",
    } <= names


def test_sqlite_reads_only_the_candidates_of_a_rare_word(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rare word starts from the FTS5 table; a common one walks the owner's envelopes by
    date (and stops at a full page)."""
    monkeypatch.setattr(header_index, "CANDIDATE_CAP", 5)
    _cache(db, "alice@example.com", [(f"P{n} <p{n}@example.org>", "common") for n in range(9)])
    plans = {}
    for word in ("p7@", "common"):
        statement = header_index.where_words(
            db,
            select(MailEnvelope.id)
            .where(MailEnvelope.owner == "alice@example.com")
            .order_by(MailEnvelope.date.desc(), MailEnvelope.id.desc())
            .limit(50),
            [word],
        )
        sql = str(statement.compile(db.get_bind(), compile_kwargs={"literal_binds": True}))
        plans[word] = [row[3] for row in db.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
    assert plans["p7@"][0].startswith("SCAN mail_envelope_fts VIRTUAL TABLE"), plans
    assert "mail_envelope_fts" not in str(plans["common"]), plans
    assert "ix_mail_envelope_owner_date" in plans["common"][0], plans
