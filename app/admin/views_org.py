"""Administration pages of the organization: groups, domains, policies and the audit log.

Same rules as app/admin/views.py: the signed-in admin's own organization only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from starlette.responses import Response

from app.admin import audit, organization, scope, transfer
from app.admin.views import ORG_COOKIE, AdminDep, Text, current_admin, redirect, working_org
from app.directory import groups, rights
from app.directory.models import Domain, Organization
from app.directory.service import common_timezones
from app.errors import Forbidden

router = APIRouter(prefix="/admin")


@router.get("/groups")
def group_list(page: AdminDep, q: str = "") -> Response:
    """The organization's groups, with the create form."""
    actor = current_admin(page)
    found = groups.list_groups(page.db, organization_id=working_org(page), query=q[:200])
    scope = rights.domain_scope(actor)
    if scope is not None:
        found = [g for g in found if g.domain_id in scope]
    return page.render(
        "admin/groups.html",
        section="admin",
        tab="groups",
        q=q,
        found=found,
        policies=groups.SEND_POLICIES,
    )


@router.post("/groups")
def create_group(
    page: AdminDep,
    address: Annotated[str, Form(max_length=320)],
    name: Annotated[str, Form(max_length=400)] = "",
    send_policy: Annotated[str, Form(max_length=16)] = "organization",
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
    return page.render(
        "admin/group.html",
        section="admin",
        tab="groups",
        group=group,
        members=groups.list_members(page.db, group=group),
        policies=groups.SEND_POLICIES,
    )


@router.post("/groups/{group_id}")
def update_group(
    page: AdminDep,
    group_id: int,
    name: Annotated[str, Form(max_length=400)] = "",
    description: Text = "",
    send_policy: Annotated[str, Form(max_length=16)] = "organization",
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
    address: Annotated[str, Form(max_length=320)],
    remove: Annotated[str, Form(max_length=1)] = "",
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


@router.post("/accounts/{account_id}/admin-domains")
def change_admin_domain(
    page: AdminDep,
    account_id: int,
    domain: Annotated[str, Form(max_length=253)],
    remove: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    """Give a domain admin another domain to administer, or take one away."""
    organization.change_admin_domain(
        page.db,
        actor=current_admin(page),
        account_id=account_id,
        domain_name=domain,
        add=not remove,
    )
    return redirect(f"/admin/accounts/{account_id}?saved=1")


@router.get("/domains")
def domain_list(page: AdminDep) -> Response:
    """The organization's domains."""
    actor = current_admin(page)
    org = scope.organization_of(page.db, actor=actor, organization_id=working_org(page))
    found = page.db.query(Domain).filter(Domain.organization_id == org.id).order_by(Domain.name)
    return page.render(
        "admin/domains.html",
        section="admin",
        tab="domains",
        domains=list(found),
        administered=rights.domain_scope(actor),  # None: an organization admin, may change all
    )


@router.post("/domains")
def add_domain(
    page: AdminDep,
    name: Annotated[str, Form(max_length=253)],
    alias_of: Annotated[str, Form(max_length=253)] = "",
    role_mailboxes: Annotated[str, Form(max_length=1)] = "",
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
    return page.render(
        "admin/policies.html",
        section="admin",
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
    allow_external_forwarding: Annotated[str, Form(max_length=1)] = "",
    default_language: Annotated[str, Form(max_length=8)] = "",
    default_timezone: Annotated[str, Form(max_length=64)] = "UTC",
    default_role_mailboxes: Annotated[str, Form(max_length=400)] = "",
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
    return page.render("admin/audit.html", section="admin", tab="audit", rows=rows, q=q)


@router.get("/audit.csv")
def audit_export(page: AdminDep) -> Response:
    """Download the audit log as CSV."""
    actor = current_admin(page)
    rights.check_org_wide(actor, working_org(page))
    rows = audit.entries(page.db, organization_id=working_org(page), limit=100_000)
    return Response(
        audit.to_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )


@router.get("/organizations")
def organization_list(page: AdminDep) -> Response:
    """Every organization (platform administrators only), with the create form."""
    actor = current_admin(page)
    if actor.role != "platform_admin":
        raise Forbidden("Only platform administrators may do this.")
    orgs = page.db.query(Organization).order_by(Organization.name).all()
    return page.render(
        "admin/organizations.html",
        section="admin",
        tab="organizations",
        organizations=orgs,
        current=working_org(page),
    )


@router.post("/organizations")
def create_organization(
    page: AdminDep,
    name: Annotated[str, Form(max_length=400)],
    slug: Annotated[str, Form(max_length=100)],
    domain: Annotated[str, Form(max_length=253)],
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
    if actor.role != "platform_admin":
        raise Forbidden("Only platform administrators may do this.")
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
