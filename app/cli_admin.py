"""``hamkar admin ...``: every administrative action from the command line.

The operator acts as a platform administrator; each change is audited as ``cli:<user>``.
Passwords are read from standard input (``--password-stdin``), never from arguments.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.admin import audit, organization, scope, service, transfer
from app.admin.service import NewAccount
from app.db import make_engine, make_session_factory, transaction
from app.directory import accounts, domain_admins
from app.directory import service as directory
from app.directory.groups import find_group
from app.directory.models import Account, Domain, MailGroup, Organization
from app.errors import DomainError, NotFound
from app.mailstack import MailStack, MailStackError
from app.models import import_all_models
from app.settings import Settings

Action = Callable[[Session, Account, argparse.Namespace, Settings], str]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``hamkar admin`` and its actions (listed in ``--help`` in this order)."""
    admin = commands.add_parser("admin", help="administer organizations, domains and accounts")
    actions = admin.add_subparsers(metavar="ACTION", required=True)

    def action(name: str, func: Action, help_text: str, *args: str) -> argparse.ArgumentParser:
        """Register one action and its positional arguments ``args`` (plain strings)."""
        parser = actions.add_parser(name, help=help_text)
        parser.set_defaults(handler=run, action_func=func)
        for arg in args:
            parser.add_argument(arg)
        return parser

    action("org-create", _org_create, "create an organization", "slug", "name")
    p = action("domain-add", _domain_add, DOMAIN_ADD_HELP, "org", "domain")
    p.add_argument("--alias-of", default="")
    p.add_argument("--no-role-mailboxes", action="store_true")
    p = action("account-create", _account_create, "create a managed account", "email")
    p.add_argument("--name", default="")
    p.add_argument("--kind", default="person", choices=["person", "role", "room", "equipment"])
    p.add_argument("--quota-mb", type=int)
    p.add_argument("--password-stdin", action="store_true")
    p = action("account-list", _account_list, "list an organization's accounts", "org")
    p.add_argument("--query", default="")
    action("account-disable", _disable, "disable an account (no sign-in, no delivery)", "email")
    action("account-enable", _enable, "enable an account", "email")
    action("account-passwd", _passwd, "set a new password (read from stdin)", "email")
    p = action(
        "account-delete", _delete, "delete an account (mail kept for the retention)", "email"
    )
    p.add_argument("--retention-days", type=int, default=accounts.DEFAULT_RETENTION_DAYS)
    p = action("account-role", _role, "set the administrative role", "email")
    p.add_argument("role", choices=["user", "domain_admin", "org_admin", "platform_admin"])
    for name, add in (("domain-admin-add", True), ("domain-admin-remove", False)):
        action(name, partial(_dadmin_change, add=add), DOMAIN_ADMIN_HELP, "email", "domain")
    action("domain-admin-list", _dadmin_list, "the domains a domain admin administers", "email")
    for name, func in (("alias-add", _alias_add), ("alias-remove", _alias_remove)):
        action(name, func, "add or remove an alias of an account", "email", "alias")
    p = action("group-create", _group_create, "create a group", "org", "address")
    p.add_argument("--name", default="")
    p.add_argument("--send-policy", default="organization")
    for name, add in (("group-add", True), ("group-remove", False)):
        action(
            name, partial(_group_change, add=add), "add or remove a group member", "group", "member"
        )
    p = action(
        "role-member-add", _role_member_add, "let a person work a role mailbox", "role", "member"
    )
    p.add_argument("--send-as", action="store_true")
    action("accounts-export", _export, "print an organization's accounts as CSV", "org")
    p = action("accounts-import", _import, "create accounts from a CSV file", "org")
    p.add_argument("file", type=Path)
    p = action("account-update", _update, "change an account's directory fields and quota", "email")
    for field in (
        "name",
        "job-title",
        "department",
        "phone-work",
        "phone-mobile",
        "location",
        "manager",
    ):
        p.add_argument(f"--{field}")
    p.add_argument("--quota-mb", type=int)
    p.add_argument("--capacity", type=int)
    action("account-restore", _restore, "undo a deletion during the retention", "email")
    for name, func in (("forward-add", _forward_add), ("forward-remove", _forward_remove)):
        p = action(
            name, func, "add or remove a forwarding address of an account", "email", "destination"
        )
        p.add_argument("--no-copy", action="store_true")
    action(
        "role-member-remove",
        _role_member_remove,
        "take a person off a role mailbox",
        "role",
        "member",
    )
    action("group-delete", _group_delete, "delete a group", "group")
    action("domain-delete", _domain_delete, "remove an empty domain", "domain")
    p = action("policies-set", _policies, "change an organization's policies", "org")
    p.add_argument("--signature-template")
    p.add_argument("--max-attachment-mb", type=int)
    p.add_argument("--allow-external-forwarding", choices=["yes", "no"])
    p.add_argument("--default-language")
    p.add_argument("--default-timezone")
    p.add_argument("--default-role-mailboxes")
    action("purge", _purge, "remove deleted accounts whose retention is over, with their mail")
    action("audit-export", _audit_export, "print an organization's audit log as CSV", "org")


DOMAIN_ADD_HELP = "add a domain (with role mailboxes) to an organization"
DOMAIN_ADMIN_HELP = "give a domain admin another domain to administer, or take it"


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Run one admin action in a transaction; domain errors are printed, exit status 1."""
    import_all_models()
    engine = make_engine(settings)
    actor = Account(email=f"cli:{getpass.getuser()}", role="platform_admin", enabled=True)
    try:
        with transaction(make_session_factory(engine)) as db:
            output = args.action_func(db, actor, args, settings)
    except DomainError as exc:
        print(f"hamkar admin: {exc}", file=sys.stderr)
        return 1
    except MailStackError as exc:
        print(f"hamkar admin: the mail stack refused: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    if output:
        print(output)
    return 0


def _org(db: Session, slug: str) -> Organization:
    org = db.scalar(select(Organization).where(Organization.slug == slug.strip().lower()))
    if org is None:
        raise NotFound("No such object.")
    return org


def _account(db: Session, email: str) -> Account:
    account = directory.find_account(db, email=email)
    if account is None:
        raise NotFound("No such account.")
    return account


def _group(db: Session, address: str) -> MailGroup:
    group = find_group(db, address=address)
    if group is None:
        raise NotFound("No such group.")
    return group


def _domain(db: Session, name: str) -> Domain:
    domain = directory.find_domain(db, name=name)
    if domain is None:
        raise NotFound("No such object.")
    return domain


def _password() -> str:
    return sys.stdin.readline().rstrip("\n")


def _org_create(db: Session, actor: Account, a: argparse.Namespace, s: Settings) -> str:
    org = directory.create_organization(db, name=a.name, slug=a.slug, domains=[])
    return f"organization {org.slug} created"


def _domain_add(db: Session, actor: Account, a: argparse.Namespace, s: Settings) -> str:
    org = _org(db, a.org)
    domain = organization.add_domain(
        db,
        actor=actor,
        organization_id=org.id,
        name=a.domain,
        alias_of=a.alias_of,
        role_mailboxes=not a.no_role_mailboxes,
    )
    return f"domain {domain.name} added"


def _account_create(db: Session, actor: Account, a: argparse.Namespace, s: Settings) -> str:
    domain = _domain(db, a.email.rpartition("@")[2])
    password = _password() if a.password_stdin else None
    new = NewAccount(
        email=a.email, display_name=a.name, password=password, kind=a.kind, quota_mb=a.quota_mb
    )
    account = service.create_account(
        db, actor=actor, organization_id=domain.organization_id, new=new
    )
    return f"account {account.email} created"


def _account_list(db: Session, actor: Account, a: argparse.Namespace, s: Settings) -> str:
    page = accounts.list_accounts(
        db, organization_id=_org(db, a.org).id, query=a.query, include_deleted=True, limit=100_000
    )
    rows = [
        f"{x.email}\t{x.kind}\t{'enabled' if x.enabled else 'disabled'}\t{x.display_name}"
        for x in page.accounts
    ]
    return "\n".join(rows)


def _disable(db: Session, actor: Account, a: argparse.Namespace, s: Settings) -> str:
    service.set_enabled(db, actor=actor, account_id=_account(db, a.email).id, enabled=False)
    return f"{a.email} disabled"


def _enable(db: Session, actor: Account, a: argparse.Namespace, s: Settings) -> str:
    service.set_enabled(db, actor=actor, account_id=_account(db, a.email).id, enabled=True)
    return f"{a.email} enabled"


def _passwd(db: Session, actor: Account, a: argparse.Namespace, s: Settings) -> str:
    service.reset_password(
        db, actor=actor, account_id=_account(db, a.email).id, password=_password()
    )
    return f"password of {a.email} changed"


def _delete(db: Session, actor: Account, a: argparse.Namespace, s: Settings) -> str:
    until = service.delete_account(
        db, actor=actor, account_id=_account(db, a.email).id, retention_days=a.retention_days
    )
    return f"{a.email} deleted; mail kept until {until.isoformat()}"


def _role(db: Session, actor: Account, a: argparse.Namespace, s: Settings) -> str:
    service.set_role(db, actor=actor, account_id=_account(db, a.email).id, role=a.role)
    return f"{a.email} is now {a.role}"


def _dadmin_change(
    db: Session, actor: Account, a: argparse.Namespace, s: Settings | None, *, add: bool
) -> str:
    account = _account(db, a.email)
    organization.change_admin_domain(
        db, actor=actor, account_id=account.id, domain_name=a.domain, add=add
    )
    return _dadmin_list(db, actor, a, s)


def _dadmin_list(db: Session, actor: Account, a: argparse.Namespace, s: Settings | None) -> str:
    account = scope.account_for(db, actor=actor, account_id=_account(db, a.email).id)
    names = [d.name for d in domain_admins.administered_domains(db, account=account)]
    return f"{account.email} ({account.role}) administers: {', '.join(names) or '-'}"


def _alias_add(db: Session, actor: Account, a: argparse.Namespace, s: Settings) -> str:
    service.add_alias(db, actor=actor, account_id=_account(db, a.email).id, address=a.alias)
    return f"{a.alias} -> {a.email}"


def _alias_remove(db: Session, actor: Account, a: argparse.Namespace, s: Settings) -> str:
    service.remove_alias(db, actor=actor, account_id=_account(db, a.email).id, address=a.alias)
    return f"{a.alias} removed"


def _group_create(db: Session, actor: Account, a: argparse.Namespace, s: Settings) -> str:
    group = organization.create_group(
        db,
        actor=actor,
        organization_id=_org(db, a.org).id,
        address=a.address,
        name=a.name,
        send_policy=a.send_policy,
    )
    return f"group {group.address} created"


def _group_change(
    db: Session, actor: Account, a: argparse.Namespace, s: Settings, *, add: bool
) -> str:
    group = _group(db, a.group)
    organization.change_group_member(db, actor=actor, group_id=group.id, address=a.member, add=add)
    return f"{a.member} {'added to' if add else 'removed from'} {group.address}"


def _role_member_add(db: Session, actor: Account, a: argparse.Namespace, s: Settings) -> str:
    service.set_role_member(
        db,
        actor=actor,
        role_id=_account(db, a.role).id,
        member_email=a.member,
        can_send_as=a.send_as,
        stack=MailStack(s),
    )
    return f"{a.member} works {a.role}"


def _export(db: Session, actor: Account, a: argparse.Namespace, s: Settings) -> str:
    return transfer.export_accounts(db, actor=actor, organization_id=_org(db, a.org).id)


def _import(db: Session, actor: Account, a: argparse.Namespace, s: Settings) -> str:
    result = transfer.import_accounts(
        db,
        actor=actor,
        organization_id=_org(db, a.org).id,
        text=a.file.read_text(encoding="utf-8-sig"),
    )
    lines = [f"created {email}" for email in result.created]
    lines += [f"line {n}: {msg % params if params else msg}" for n, msg, params in result.errors]
    return "\n".join(lines)


def _audit_export(db: Session, actor: Account, a: argparse.Namespace, s: Settings) -> str:
    return audit.to_csv(audit.entries(db, organization_id=_org(db, a.org).id, limit=1_000_000))


def _purge(db: Session, actor: Account, a: argparse.Namespace, s: Settings) -> str:
    purged = service.purge_due_accounts(db, actor=actor, stack=MailStack(s))
    return "\n".join(f"purged {email}" for email in purged) or "nothing to purge"


def _update(db: Session, actor: Account, a: argparse.Namespace, s: Settings) -> str:
    account = _account(db, a.email)
    manager = db.get(Account, account.manager_id) if account.manager_id else None
    profile = {
        field: value if value is not None else getattr(account, field)
        for field, value in (
            ("job_title", a.job_title),
            ("department", a.department),
            ("phone_work", a.phone_work),
            ("phone_mobile", a.phone_mobile),
            ("location", a.location),
        )
    }
    service.update_account(
        db,
        actor=actor,
        account_id=account.id,
        display_name=a.name if a.name is not None else account.display_name,
        quota_mb=a.quota_mb if a.quota_mb is not None else account.quota_mb,
        manager_email=a.manager if a.manager is not None else (manager.email if manager else ""),
        capacity=a.capacity,
        **profile,
    )
    return f"{account.email} updated"


def _restore(db: Session, actor: Account, a: argparse.Namespace, s: Settings) -> str:
    service.restore_account(db, actor=actor, account_id=_account(db, a.email).id)
    return f"{a.email} restored (disabled)"


def _forward_add(db: Session, actor: Account, a: argparse.Namespace, s: Settings) -> str:
    service.change_forward(
        db,
        actor=actor,
        account_id=_account(db, a.email).id,
        destination=a.destination,
        keep_copy=not a.no_copy,
    )
    return f"{a.email} forwards to {a.destination}"


def _forward_remove(db: Session, actor: Account, a: argparse.Namespace, s: Settings) -> str:
    service.change_forward(
        db, actor=actor, account_id=_account(db, a.email).id, destination=a.destination, remove=True
    )
    return f"{a.email} no longer forwards to {a.destination}"


def _role_member_remove(db: Session, actor: Account, a: argparse.Namespace, s: Settings) -> str:
    service.remove_role_member(
        db, actor=actor, role_id=_account(db, a.role).id, member_email=a.member, stack=MailStack(s)
    )
    return f"{a.member} no longer works {a.role}"


def _group_delete(db: Session, actor: Account, a: argparse.Namespace, s: Settings) -> str:
    group = _group(db, a.group)
    organization.delete_group(db, actor=actor, group_id=group.id)
    return f"group {group.address} deleted"


def _domain_delete(db: Session, actor: Account, a: argparse.Namespace, s: Settings) -> str:
    domain = _domain(db, a.domain)
    organization.delete_domain(db, actor=actor, domain_id=domain.id)
    return f"domain {domain.name} removed"


def _policies(db: Session, actor: Account, a: argparse.Namespace, s: Settings) -> str:
    org = _org(db, a.org)
    allow = org.allow_external_forwarding
    if a.allow_external_forwarding is not None:
        allow = a.allow_external_forwarding == "yes"

    def pick(value: object, current: object) -> object:
        return current if value is None else value

    transfer.update_policies(
        db,
        actor=actor,
        organization_id=org.id,
        signature_template=str(pick(a.signature_template, org.signature_template)),
        max_attachment_mb=int(str(pick(a.max_attachment_mb, org.max_attachment_mb))),
        allow_external_forwarding=allow,
        default_language=str(pick(a.default_language, org.default_language)),
        default_timezone=str(pick(a.default_timezone, org.default_timezone)),
        default_role_mailboxes=str(pick(a.default_role_mailboxes, org.default_role_mailboxes)),
    )
    return f"policies of {org.slug} saved"
