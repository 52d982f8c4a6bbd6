"""Every admin route refuses other organizations' objects (404) and non-admins (403)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.directory import accounts
from app.directory import service as directory
from tests.integration.admin.conftest import Tenant, sign_in

# (method, path template, form data); {user}, {role}, {group}, {domain_id} are the victim's ids
Route = tuple[str, str, dict[str, str]]
OBJECT_ROUTES: list[Route] = [
    ("GET", "/admin/accounts/{user}", {}),
    ("POST", "/admin/accounts/{user}", {"display_name": "Hacked"}),
    ("POST", "/admin/accounts/{user}/password", {"password": "Hacked-pass-1"}),
    ("POST", "/admin/accounts/{user}/enabled", {"enabled": "0"}),
    ("POST", "/admin/accounts/{user}/role", {"role": "org_admin"}),
    ("POST", "/admin/accounts/{user}/delete", {"retention_days": "0"}),
    ("POST", "/admin/accounts/{user}/aliases", {"address": "x@{domain}"}),
    ("POST", "/admin/accounts/{role}/members", {"member": "{admin}"}),
    ("POST", "/admin/accounts/{user}/forwards", {"destination": "{admin}"}),
    ("POST", "/admin/accounts/{user}/restore", {}),
    ("POST", "/admin/accounts/{user}/photo", {"remove": "1"}),
    ("POST", "/admin/accounts/{user}/admin-domains", {"domain": "{domain}"}),
    ("GET", "/admin/groups/{group}", {}),
    ("POST", "/admin/groups/{group}", {"name": "Hacked", "send_policy": "anyone"}),
    ("POST", "/admin/groups/{group}/members", {"address": "{admin}"}),
    ("POST", "/admin/groups/{group}/delete", {}),
    ("POST", "/admin/domains/{domain_id}/delete", {}),
]
LIST_ROUTES = [
    "/admin/accounts",
    "/admin/accounts.csv",
    "/admin/groups",
    "/admin/domains",
    "/admin/policies",
    "/admin/audit",
    "/admin/audit.csv",
]


@pytest.fixture(params=OBJECT_ROUTES, ids=lambda route: f"{route[0]} {route[1]}")
def object_route(request: pytest.FixtureRequest) -> Route:
    """One object route, with the form data it posts."""
    route: Route = request.param
    return route


def _fill(text: str, victim: Tenant, attacker: Tenant) -> str:
    return text.format(
        user=victim.user_id,
        role=victim.role_id,
        group=victim.group_id,
        domain_id=victim.domain_id,
        domain=victim.domain,
        admin=attacker.admin,
    )


def _call(client: TestClient, route: Route, victim: Tenant, attacker: Tenant, token: str) -> int:
    """Call the route on the victim's objects; the status code."""
    method, path, data = route
    path = _fill(path, victim, attacker)
    if method == "GET":
        return client.get(path).status_code
    form = {"csrf_token": token, **{k: _fill(v, victim, attacker) for k, v in data.items()}}
    return client.post(path, data=form, follow_redirects=False).status_code


def test_admin_of_another_organization_gets_404(
    tenants: tuple[Tenant, Tenant], stack_client: TestClient, object_route: Route
) -> None:
    victim, attacker = tenants
    token = sign_in(stack_client, attacker.admin)
    assert _call(stack_client, object_route, victim, attacker, token) == 404
    # the victim's data is untouched: its own admin still sees the user, enabled, unrenamed
    stack_client.cookies.clear()
    sign_in(stack_client, victim.admin)
    page = stack_client.get(f"/admin/accounts/{victim.user_id}")
    assert page.status_code == 200 and "Hacked" not in page.text and "deleted" not in page.text


def test_lists_and_exports_show_only_the_own_organization(
    tenants: tuple[Tenant, Tenant], stack_client: TestClient
) -> None:
    victim, attacker = tenants
    sign_in(stack_client, attacker.admin)
    for path in LIST_ROUTES:
        response = stack_client.get(path)
        assert response.status_code == 200, path
        assert victim.domain not in response.text, path
    # the search box echoes the query: look for the victim's addresses, not the domain
    searched = stack_client.get(f"/admin/accounts?q={victim.domain}").text
    assert victim.user not in searched and victim.admin not in searched
    found = stack_client.get(f"/directory?q={victim.domain}").text
    assert victim.user not in found and f"info@{victim.domain}" not in found
    assert attacker.user in stack_client.get("/directory").text


def test_non_admin_gets_403_on_every_object_route(
    tenants: tuple[Tenant, Tenant], stack_client: TestClient, object_route: Route
) -> None:
    own, _ = tenants
    token = sign_in(stack_client, own.user)
    assert _call(stack_client, object_route, own, own, token) == 403


@pytest.mark.parametrize("path", LIST_ROUTES)
def test_non_admin_gets_403_on_every_list_route(
    tenants: tuple[Tenant, Tenant], stack_client: TestClient, path: str
) -> None:
    own, _ = tenants
    sign_in(stack_client, own.user)
    assert stack_client.get(path).status_code == 403


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_photos_are_checked_and_only_shown_inside_the_organization(
    tenants: tuple[Tenant, Tenant], stack_client: TestClient
) -> None:
    own, other = tenants
    token = sign_in(stack_client, own.admin)
    path = f"/admin/accounts/{own.user_id}/photo"
    for body, status, message in (
        (b"<html><script>alert(1)</script>", 400, "must be a PNG or JPEG"),
        (b"GIF89a" + b"\x00" * 10, 400, "must be a PNG or JPEG"),
        (PNG + b"\x00" * 600_000, 413, "at most 512 KB"),
    ):
        refused = stack_client.post(
            path, data={"csrf_token": token}, files={"photo": ("p.png", body, "image/png")}
        )
        assert refused.status_code == status and message in refused.text
    ok = stack_client.post(
        path,
        data={"csrf_token": token},
        files={"photo": ("p.png", PNG, "image/png")},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    photo = stack_client.get(f"/directory/photos/{own.user_id}")
    assert photo.status_code == 200 and photo.content == PNG
    assert photo.headers["content-type"] == "image/png"
    assert f"/directory/photos/{own.user_id}" in stack_client.get("/directory").text

    stack_client.cookies.clear()
    sign_in(stack_client, other.user)
    assert stack_client.get(f"/directory/photos/{own.user_id}").status_code == 404


def test_platform_admin_switches_organizations_and_others_cannot(
    tenants: tuple[Tenant, Tenant], stack_client: TestClient, stack_db: Session
) -> None:
    own, other = tenants
    admin = directory.find_account(stack_db, email=own.admin)
    assert admin is not None
    # an org admin forging the platform admin's cookie still sees only its own organization
    token = sign_in(stack_client, own.admin)
    assert stack_client.get("/admin/organizations").status_code == 403
    forged = f"/admin/organizations/{other.organization_id}/manage"
    assert stack_client.post(forged, data={"csrf_token": token}).status_code == 403
    stack_client.cookies.set("hamkar_admin_org", str(other.organization_id), path="/admin")
    assert other.user not in stack_client.get("/admin/accounts").text

    accounts.set_role(stack_db, account=admin, role="platform_admin")
    stack_db.commit()
    stack_client.cookies.clear()
    token = sign_in(stack_client, own.admin)
    listing = stack_client.get("/admin/organizations").text
    assert own.domain in listing and other.domain in listing
    switched = stack_client.post(forged, data={"csrf_token": token}, follow_redirects=False)
    assert switched.status_code == 303
    assert other.user in stack_client.get("/admin/accounts").text
    created = stack_client.post(
        "/admin/organizations",
        data={
            "csrf_token": token,
            "name": "Third",
            "slug": f"third-{own.organization_id}",
            "domain": f"third.{own.domain}",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    assert f"third.{own.domain}" in stack_client.get("/admin/organizations").text
    stack_db.expire_all()
    assert directory.find_account(stack_db, email=f"info@third.{own.domain}") is not None
