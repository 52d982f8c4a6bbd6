"""Administration pages of the organization: groups, domains, policies and the audit log.

Same rules as app/admin/views.py: the signed-in admin's own organization only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from starlette.responses import Response

from app.admin import audit, organization, scope, transfer
from app.admin.views import (
    ORG_COOKIE,
    Address,
    AdminDep,
    Choice,
    DomainName,
    Flag,
    Line,
    Text,
    csv_download,
    current_admin,
    redirect,
    render_admin,
    working_org,
)
from app.directory import groups, rights
from app.directory.models import Domain, Organization
from app.directory.service import common_timezones

router = APIRouter(prefix="/admin")


@router.get("/groups")
def group_list(page: AdminDep, q: str = "") -> Response:
    """The organization's groups, with the create form."""
    actor = current_admin(page)
    found = groups.list_groups(page.db, organization_id=working_org(page), query=q[:200])
    administered = rights.domain_scope(actor)
    if administered is not None:
        found = [g for g in found if g.domain_id in administered]
    return render_admin(
        page,
        "groups.html",
        tab="groups",
        q=q,
        found=found,
        policies=groups.SEND_POLICIES,
    )


@router.post("/groups")
def create_group(
    page: AdminDep,
    address: Address,
    name: Line = "",
    send_policy: Choice = "organization",
) -> Response:
    """Create a group."""
    actor = current_admin(page)
    group = organization.create_group(
        page.db,
        actor=actor,
        organization_id=working_org(page),
        address=address,
        name=name,
        send_policy=send_policy,
    )
    return redirect(f"/admin/groups/{group.id}")


@router.get("/groups/{group_id}")
def group_page(page: AdminDep, group_id: int) -> Response:
    """One group and its members."""
    group = scope.group_for(page.db, actor=current_admin(page), group_id=group_id)
    return render_admin(
        page,
        "group.html",
        tab="groups",
        group=group,
        members=groups.list_members(page.db, group=group),
        policies=groups.SEND_POLICIES,
    )


@router.post("/groups/{group_id}")
def update_group(
    page: AdminDep,
    group_id: int,
    name: Line = "",
    description: Text = "",
    send_policy: Choice = "organization",
) -> Response:
    """Save the group's name, description and send policy."""
    organization.update_group(
        page.db,
        actor=current_admin(page),
        group_id=group_id,
        name=name,
        description=description,
        send_policy=send_policy,
    )
    return redirect(f"/admin/groups/{group_id}")


@router.post("/groups/{group_id}/members")
def change_group_member(
    page: AdminDep,
    group_id: int,
    address: Address,
    remove: Flag = "",
) -> Response:
    """Add or remove a member."""
    organization.change_group_member(
        page.db, actor=current_admin(page), group_id=group_id, address=address, add=not remove
    )
    return redirect(f"/admin/groups/{group_id}")


@router.post("/groups/{group_id}/delete")
def delete_group(page: AdminDep, group_id: int) -> Response:
    """Delete the group."""
    organization.delete_group(page.db, actor=current_admin(page), group_id=group_id)
    return redirect("/admin/groups")


@router.get("/domains")
def domain_list(page: AdminDep) -> Response:
    """The organization's domains."""
    actor = current_admin(page)
    org = scope.organization_of(page.db, actor=actor, organization_id=working_org(page))
    found = page.db.query(Domain).filter(Domain.organization_id == org.id).order_by(Domain.name)
    return render_admin(
        page,
        "domains.html",
        tab="domains",
        domains=list(found),
        administered=rights.domain_scope(actor),  # None: an organization admin, may change all
    )


@router.post("/domains")
def add_domain(
    page: AdminDep,
    name: DomainName,
    alias_of: DomainName = "",
    role_mailboxes: Flag = "",
) -> Response:
    """Add a domain (with the default role mailboxes when asked)."""
    actor = current_admin(page)
    organization.add_domain(
        page.db,
        actor=actor,
        organization_id=working_org(page),
        name=name,
        alias_of=alias_of,
        role_mailboxes=role_mailboxes == "1",
    )
    return redirect("/admin/domains")


@router.post("/domains/{domain_id}/delete")
def delete_domain(page: AdminDep, domain_id: int) -> Response:
    """Remove an empty domain."""
    organization.delete_domain(page.db, actor=current_admin(page), domain_id=domain_id)
    return redirect("/admin/domains")


@router.get("/policies")
def policies_page(page: AdminDep, saved: bool = False) -> Response:
    """The organization's policies."""
    actor = current_admin(page)
    org = scope.organization_of(page.db, actor=actor, organization_id=working_org(page))
    return render_admin(
        page,
        "policies.html",
        tab="policies",
        org=org,
        saved=saved,
        timezones=common_timezones(),
        preview=transfer.render_signature(org.signature_template, actor),
    )


@router.post("/policies")
def save_policies(
    page: AdminDep,
    signature_template: Text = "",
    max_attachment_mb: Annotated[int, Form(ge=1, le=1024)] = 25,
    allow_external_forwarding: Flag = "",
    default_language: Annotated[str, Form(max_length=8)] = "",
    default_timezone: Annotated[str, Form(max_length=64)] = "UTC",
    default_role_mailboxes: Line = "",
) -> Response:
    """Save the policies."""
    actor = current_admin(page)
    transfer.update_policies(
        page.db,
        actor=actor,
        organization_id=working_org(page),
        signature_template=signature_template,
        max_attachment_mb=max_attachment_mb,
        allow_external_forwarding=allow_external_forwarding == "1",
        default_language=default_language,
        default_timezone=default_timezone,
        default_role_mailboxes=default_role_mailboxes,
    )
    return redirect("/admin/policies?saved=1")


@router.get("/audit")
def audit_page(page: AdminDep, q: str = "") -> Response:
    """The audit log, newest first."""
    actor = current_admin(page)
    rights.check_org_wide(actor, working_org(page))
    rows = audit.entries(page.db, organization_id=working_org(page), query=q[:200])
    return render_admin(page, "audit.html", tab="audit", rows=rows, q=q)


@router.get("/audit.csv")
def audit_export(page: AdminDep) -> Response:
    """Download the audit log as CSV."""
    actor = current_admin(page)
    rights.check_org_wide(actor, working_org(page))
    rows = audit.entries(page.db, organization_id=working_org(page), limit=100_000)
    return csv_download(audit.to_csv(rows), "audit.csv")


@router.get("/organizations")
def organization_list(page: AdminDep) -> Response:
    """Every organization (platform administrators only), with the create form."""
    actor = current_admin(page)
    rights.require_platform_admin(actor)
    orgs = page.db.query(Organization).order_by(Organization.name).all()
    return render_admin(
        page,
        "organizations.html",
        tab="organizations",
        organizations=orgs,
        current=working_org(page),
    )


@router.post("/organizations")
def create_organization(
    page: AdminDep,
    name: Line,
    slug: Annotated[str, Form(max_length=100)],
    domain: DomainName,
) -> Response:
    """Create an organization with its first domain."""
    organization.create_organization(
        page.db, actor=current_admin(page), name=name, slug=slug, domain=domain
    )
    return redirect("/admin/organizations")


@router.post("/organizations/{organization_id}/manage")
def manage_organization(page: AdminDep, organization_id: int) -> Response:
    """Work on another organization (platform administrators only)."""
    actor = current_admin(page)
    rights.require_platform_admin(actor)
    scope.organization_of(page.db, actor=actor, organization_id=organization_id)
    response = redirect("/admin/accounts")
    response.set_cookie(
        ORG_COOKIE,
        str(organization_id),
        httponly=True,
        samesite="lax",
        secure=page.state.settings.secure_cookies,
        path="/admin",
    )
    return response
