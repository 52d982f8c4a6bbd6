"""The directory refuses bad input with clear messages and keeps organizations apart."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.directory import accounts, addresses, groups, roles, service
from app.directory.models import Organization
from app.directory.passwords import verify_password
from app.errors import Conflict, Forbidden, Invalid

Orgs = tuple[Organization, Organization]


def test_new_domain_gets_default_role_mailboxes(db: Session, orgs: Orgs) -> None:
    acme, _ = orgs
    service.add_domain(db, organization=acme, name="acme.example", role_mailboxes=True)
    for local in ("info", "sales", "support", "admin"):
        account = service.find_account(db, email=f"{local}@acme.example")
        assert account is not None and account.kind == "role" and account.managed


def test_role_mailbox_defaults_are_configurable(db: Session, orgs: Orgs) -> None:
    acme, _ = orgs
    acme.default_role_mailboxes = "hello jobs"
    service.add_domain(db, organization=acme, name="acme.example", role_mailboxes=True)
    assert service.find_account(db, email="hello@acme.example") is not None
    assert service.find_account(db, email="info@acme.example") is None


def test_duplicate_address_refused_across_accounts_aliases_and_groups(
    db: Session, orgs: Orgs
) -> None:
    acme, _ = orgs
    jane = service.create_account(db, email="jane@acme.test", organization_id=acme.id)
    addresses.add_alias(db, account=jane, address="j.doe@acme.test")
    groups.create_group(db, organization_id=acme.id, address="team@acme.test", name="Team")
    for taken in ("JANE@acme.test", "j.doe@acme.test", "team@acme.test"):
        with pytest.raises(Conflict, match="already in use"):
            service.create_account(db, email=taken, organization_id=acme.id)
    with pytest.raises(Conflict, match="already in use"):
        addresses.add_alias(db, account=jane, address="team@acme.test")


def test_addresses_in_another_organizations_domain_are_refused(db: Session, orgs: Orgs) -> None:
    acme, _ = orgs
    with pytest.raises(Invalid, match="does not belong to this organization"):
        service.create_account(db, email="spy@other.test", organization_id=acme.id)
    jane = service.create_account(db, email="jane@acme.test", organization_id=acme.id)
    with pytest.raises(Invalid, match="does not belong"):
        addresses.add_alias(db, account=jane, address="jane@other.test")
    with pytest.raises(Invalid, match="not hosted here"):
        service.create_account(db, email="x@nowhere.test", organization_id=acme.id)


@pytest.mark.parametrize(
    ("email", "name"),
    [
        ("bad address@acme.test", "Ok"),
        ("a..b@acme.test", "Ok"),
        ("ok@acme.test", 'Evil "<x>'),
        ("ok@acme.test", "line\nbreak"),
    ],
)
def test_invalid_names_and_addresses_refused(
    db: Session, orgs: Orgs, email: str, name: str
) -> None:
    with pytest.raises(Invalid, match="not a valid"):
        service.create_account(db, email=email, display_name=name, organization_id=orgs[0].id)


def test_group_cycles_refused(db: Session, orgs: Orgs) -> None:
    acme, _ = orgs
    a = groups.create_group(db, organization_id=acme.id, address="a@acme.test", name="A")
    b = groups.create_group(db, organization_id=acme.id, address="b@acme.test", name="B")
    c = groups.create_group(db, organization_id=acme.id, address="c@acme.test", name="C")
    groups.add_member(db, group=a, address="b@acme.test")
    groups.add_member(db, group=b, address="c@acme.test")
    with pytest.raises(Invalid, match="loop of groups"):
        groups.add_member(db, group=c, address="a@acme.test")
    with pytest.raises(Invalid, match="loop of groups"):
        groups.add_member(db, group=a, address="a@acme.test")


def test_group_members_inside_outside_and_unknown(db: Session, orgs: Orgs) -> None:
    acme, _ = orgs
    service.create_account(db, email="jane@acme.test", organization_id=acme.id)
    service.create_account(db, email="olga@other.test")
    team = groups.create_group(db, organization_id=acme.id, address="team@acme.test", name="T")
    groups.add_member(db, group=team, address="jane@acme.test")
    groups.add_member(db, group=team, address="partner@gmail.example")
    # another organization's account is an outside address, never a directory link
    groups.add_member(db, group=team, address="olga@other.test")
    kinds = {m.address: m.kind for m in groups.list_members(db, group=team)}
    assert kinds == {
        "jane@acme.test": "account",
        "partner@gmail.example": "external",
        "olga@other.test": "external",
    }
    with pytest.raises(Invalid, match="does not exist in your organization"):
        groups.add_member(db, group=team, address="ghost@acme.test")
    with pytest.raises(Conflict, match="already a member"):
        groups.add_member(db, group=team, address="jane@acme.test")


def test_deleting_a_domain_with_accounts_is_refused(db: Session, orgs: Orgs) -> None:
    acme, _ = orgs
    domain = service.find_domain(db, name="acme.test")
    assert domain is not None
    service.create_account(db, email="jane@acme.test", organization_id=acme.id)
    with pytest.raises(Conflict, match="still has 1 addresses"):
        service.delete_domain(db, domain=domain)
    empty = service.add_domain(db, organization=acme, name="empty.test")
    service.delete_domain(db, domain=empty)
    assert service.find_domain(db, name="empty.test") is None


def test_managed_password_is_a_dovecot_argon2id_hash(db: Session, orgs: Orgs) -> None:
    jane = service.create_account(
        db, email="jane@acme.test", organization_id=orgs[0].id, password="correct horse 1"
    )
    assert jane.managed and jane.password_hash is not None
    assert jane.password_hash.startswith("{ARGON2ID}$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(jane.password_hash, "correct horse 1")
    assert not verify_password(jane.password_hash, "wrong")
    with pytest.raises(Invalid, match="at least 10 characters"):
        accounts.set_password(db, account=jane, password="short")


def test_views_list_enabled_managed_users_aliases_and_alias_domains(
    db: Session, orgs: Orgs
) -> None:
    acme, _ = orgs
    real = service.find_domain(db, name="acme.test")
    service.add_domain(db, organization=acme, name="acme.example", alias_of=real)
    jane = service.create_account(
        db,
        email="jane@acme.test",
        organization_id=acme.id,
        password="correct horse 1",
        quota_mb=50,
    )
    addresses.add_alias(db, account=jane, address="boss@acme.test")
    db.flush()
    users = db.execute(text("SELECT email, quota_rule FROM hamkar_mail_user")).all()
    assert users == [("jane@acme.test", "*:storage=50M")]
    aliases = set(db.execute(text("SELECT address, destination FROM hamkar_mail_alias")).all())
    assert ("boss@acme.test", "jane@acme.test") in aliases
    assert ("jane@acme.example", "jane@acme.test") in aliases
    assert ("boss@acme.example", "boss@acme.test") in aliases
    accounts.set_enabled(db, account=jane, enabled=False)
    assert db.execute(text("SELECT email FROM hamkar_mail_user")).all() == []
    assert ("boss@acme.test", "jane@acme.test") not in set(
        db.execute(text("SELECT address, destination FROM hamkar_mail_alias")).all()
    )


def test_external_forwarding_follows_the_policy(db: Session, orgs: Orgs) -> None:
    acme, _ = orgs
    jane = service.create_account(db, email="jane@acme.test", organization_id=acme.id)
    with pytest.raises(Forbidden, match="does not allow forwarding"):
        addresses.add_forward(db, account=jane, destination="jane@gmail.example")
    acme.allow_external_forwarding = True
    addresses.add_forward(db, account=jane, destination="jane@gmail.example")
    service.create_account(db, email="joe@acme.test", organization_id=acme.id)
    addresses.add_forward(db, account=jane, destination="joe@acme.test")


def test_role_members_and_send_as(db: Session, orgs: Orgs) -> None:
    acme, other = orgs
    service.add_domain(db, organization=acme, name="acme.example", role_mailboxes=True)
    info = service.find_account(db, email="info@acme.example")
    assert info is not None
    jane = service.create_account(db, email="jane@acme.test", organization_id=acme.id)
    olga = service.create_account(db, email="olga@other.test", organization_id=other.id)
    roles.set_role_member(db, role=info, member=jane, can_send_as=True)
    assert roles.send_as_addresses(db, account=jane) == ["info@acme.example"]
    with pytest.raises(Invalid, match="same organization"):
        roles.set_role_member(db, role=info, member=olga, can_send_as=False)


def test_deleted_account_keeps_address_until_purge(db: Session, orgs: Orgs) -> None:
    acme, _ = orgs
    jane = service.create_account(db, email="jane@acme.test", organization_id=acme.id)
    purge_at = accounts.delete_account(db, account=jane, retention_days=7)
    assert not jane.enabled and (purge_at - jane.deleted_at).days == 7  # type: ignore[operator]
    with pytest.raises(Conflict):
        service.create_account(db, email="jane@acme.test", organization_id=acme.id)
    assert accounts.accounts_due_for_purge(db, now=purge_at) == [jane]
    accounts.purge_account(db, account=jane)
    service.create_account(db, email="jane@acme.test", organization_id=acme.id)
