"""Administrative roles and what each may administer.

platform_admin: every organization; org_admin: its own organization; domain_admin: the
accounts, aliases and groups of the domains it administers (app/directory/domain_admins.py);
user: nothing.
"""

from __future__ import annotations

from app.directory.models import Account
from app.errors import Forbidden, NotFound

ROLES = ("user", "domain_admin", "org_admin", "platform_admin")
ADMIN_ROLES = ("domain_admin", "org_admin", "platform_admin")


def is_admin(actor: Account) -> bool:
    """True when the account holds any administrative role."""
    return actor.role in ADMIN_ROLES and actor.enabled and actor.deleted_at is None


def require_admin(actor: Account) -> None:
    """``Forbidden`` unless the account is an administrator."""
    if not is_admin(actor):
        raise Forbidden("Only administrators may do this.")


def require_platform_admin(actor: Account) -> None:
    """``Forbidden`` unless the account is a platform administrator."""
    require_admin(actor)
    if actor.role != "platform_admin":
        raise Forbidden("Only platform administrators may do this.")


def check_organization(actor: Account, organization_id: int) -> None:
    """``NotFound`` (never a hint) when the actor may not see that organization."""
    require_admin(actor)
    if actor.role != "platform_admin" and actor.organization_id != organization_id:
        raise NotFound("No such object.")


def domain_scope(actor: Account) -> frozenset[int] | None:
    """The domains a domain admin administers; ``None`` for organization-wide admins."""
    if actor.role != "domain_admin":
        return None
    return frozenset(domain.id for domain in actor.administered_domains)


def check_domain(actor: Account, organization_id: int, domain_id: int) -> None:
    """Like :func:`check_organization`; a domain admin reaches only the domains it administers."""
    check_organization(actor, organization_id)
    scope = domain_scope(actor)
    if scope is not None and domain_id not in scope:
        raise NotFound("No such object.")


def check_org_wide(actor: Account, organization_id: int) -> None:
    """Organization-wide changes (domains, policies, roles) need an organization admin."""
    check_organization(actor, organization_id)
    if actor.role == "domain_admin":
        raise Forbidden("Only organization administrators may do this.")
