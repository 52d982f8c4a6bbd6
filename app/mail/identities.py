"""The From addresses a person may send as: their own, their aliases, and the role mailboxes
(info@, sales@) they were granted send-as on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from app.directory.addresses import list_aliases
from app.directory.roles import send_as_addresses
from app.errors import Forbidden

if TYPE_CHECKING:
    from app.directory.models import Account


@dataclass(frozen=True)
class Identity:
    """One From address and how it is shown."""

    address: str
    display_name: str
    kind: str  # "own" | "alias" | "role"

    @property
    def header(self) -> str:
        """The From header value ("Name" <address>)."""
        name = self.display_name.replace('"', "").replace("\\", "")
        return f'"{name}" <{self.address}>' if name else self.address


def identities_for(db: Session, *, account: Account) -> list[Identity]:
    """Every identity of the account, its own address first."""
    name = account.display_name
    found = [Identity(account.email, name, "own")]
    found += [
        Identity(alias.address, name, "alias") for alias in list_aliases(db, account_id=account.id)
    ]
    found += [Identity(address, "", "role") for address in send_as_addresses(db, account=account)]
    return found


def choose_identity(identities: list[Identity], requested: str) -> Identity:
    """The identity asked for; refused when the person may not send as it."""
    if not requested:
        return identities[0]
    for identity in identities:
        if identity.address.lower() == requested.strip().lower():
            return identity
    raise Forbidden("You may not send as %(address)s.", address=requested.strip()[:320])


def default_for_folder(identities: list[Identity], folder: str) -> str:
    """Replying from a role mailbox's folder (shared/info@example.com/INBOX) sends as it."""
    if folder.startswith("shared/"):
        owner = folder.split("/")[1].lower()
        for identity in identities:
            if identity.kind == "role" and identity.address.lower() == owner:
                return identity.address
    return identities[0].address
