"""The directory book answers one card and its ctag without building the whole book.

One card by name is the very card the whole book holds; the ctag moves with every change a
card shows (name, profile field, disabling, deleting, a new entry, a group's name) and stays
put for what no card shows (a sign-in, the quota).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from app.contacts.directory_book import card_name, directory_card, directory_cards, directory_ctag
from app.db import utcnow
from app.directory import accounts, groups, service
from app.directory.models import Organization

Orgs = tuple[Organization, Organization]
READER = "jane@acme.test"


def _setup(db: Session, orgs: Orgs) -> None:
    acme, other = orgs
    service.create_account(db, email=READER, display_name="Jane Roe", organization_id=acme.id)
    service.create_account(
        db, email="sam@acme.test", display_name="Sam Sadeghi", organization_id=acme.id
    )
    groups.create_group(db, organization_id=acme.id, address="team@acme.test", name="Team")
    service.create_account(
        db, email="olga@other.test", display_name="Olga Other", organization_id=other.id
    )
    db.commit()


def test_one_card_is_the_card_of_the_whole_book(db: Session, orgs: Orgs) -> None:
    _setup(db, orgs)
    book = directory_cards(db, email=READER)
    assert {c.name for c in book} >= {card_name("sam@acme.test"), card_name("team@acme.test")}
    for card in book:
        assert directory_card(db, email=READER, name=card.name) == card
    # absent, malformed, and another organization's card: nothing
    assert directory_card(db, email=READER, name=card_name("nobody@acme.test")) is None
    assert directory_card(db, email=READER, name="../contacts/x.vcf") is None
    assert directory_card(db, email=READER, name=card_name("olga@other.test")) is None
    assert directory_card(db, email="olga@other.test", name=card_name("sam@acme.test")) is None

    # names are remembered per state of the list: a new, a disabled, a renamed entry show at once
    acme = orgs[0]
    service.create_account(db, email="neo@acme.test", display_name="Neo", organization_id=acme.id)
    db.commit()
    neo = directory_card(db, email=READER, name=card_name("neo@acme.test"))
    assert neo is not None and "FN:Neo" in neo.vcard
    sam = service.find_account(db, email="sam@acme.test")
    assert sam is not None
    accounts.set_enabled(db, account=sam, enabled=False)
    db.commit()
    assert directory_card(db, email=READER, name=card_name("sam@acme.test")) is None
    accounts.set_enabled(db, account=sam, enabled=True)
    accounts.update_account(db, account=sam, display_name="Samira")
    db.commit()
    again = directory_card(db, email=READER, name=card_name("sam@acme.test"))
    assert again is not None and "FN:Samira" in again.vcard


def test_the_ctag_follows_what_the_cards_show(db: Session, orgs: Orgs) -> None:
    _setup(db, orgs)
    acme, other = orgs
    seen = [directory_ctag(db, email=READER)]

    def changed() -> bool:
        db.commit()
        tag = directory_ctag(db, email=READER)
        new = tag != seen[-1]
        seen.append(tag)
        return new

    assert not changed()  # asking twice: the same ctag
    sam = service.find_account(db, email="sam@acme.test")
    assert sam is not None
    service.record_login(db, email="sam@acme.test", now=utcnow(), min_interval=timedelta(0))
    assert not changed()  # a sign-in is on no card
    accounts.update_account(db, account=sam, quota_mb=500)
    assert not changed()
    accounts.update_account(db, account=sam, display_name="Sam S. Sadeghi")
    assert changed()
    accounts.update_account(db, account=sam, profile={"phone_mobile": "+98 912 000 0000"})
    assert changed()
    team = groups.find_group(db, address="team@acme.test")
    assert team is not None
    groups.update_group(db, group=team, name="Whole team", description="", send_policy="anyone")
    assert changed()
    service.create_account(db, email="new@acme.test", organization_id=acme.id)
    assert changed()
    accounts.set_enabled(db, account=sam, enabled=False)
    assert changed()
    accounts.set_enabled(db, account=sam, enabled=True)
    assert changed()
    accounts.delete_account(db, account=sam, retention_days=30)
    assert changed()
    groups.delete_group(db, group=team)
    assert changed()
    # another organization's changes are not this book's
    service.create_account(db, email="otto@other.test", organization_id=other.id)
    assert not changed()
    assert len(set(seen)) == len([s for i, s in enumerate(seen) if i == 0 or s != seen[i - 1]])
