"""`hamkar demo`'s directory: managed accounts, alice as admin, info@ worked by alice and bob."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.directory import roles, service
from app.directory.demo import ensure_demo_directory
from app.directory.models import Account, Organization
from app.directory.passwords import verify_password


def test_demo_directory_is_managed_and_idempotent(db: Session) -> None:
    ensure_demo_directory(db, password="demo-Passw0rd")
    ensure_demo_directory(db, password="demo-Passw0rd")
    assert db.scalar(select(func.count()).select_from(Organization)) == 1
    assert db.scalar(select(func.count()).select_from(Account)) == 4
    alice = service.find_account(db, email="alice@example.com")
    info = service.find_account(db, email="info@example.com")
    assert alice is not None and info is not None
    assert alice.managed and alice.role == "org_admin"
    assert alice.password_hash and verify_password(alice.password_hash, "demo-Passw0rd")
    assert info.managed and info.kind == "role" and info.password_hash is None
    members = roles.role_members(db, role=info)
    assert [(m.email, m.can_send_as) for m in members] == [
        ("alice@example.com", True),
        ("bob@example.com", True),
    ]
