"""Spaces and who may use them: a personal space per person, team spaces with members.

Members of a team space are people or directory groups (``SpaceMember.group_id`` set, the
group's address in ``email``). A group's right reaches its members, also through nested
groups, and is looked up on every request: whoever leaves the group loses access at once.
A person's right is the highest of their own and their groups'.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Select, and_, or_, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.directory import groups as directory_groups
from app.directory import service as directory
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.files.models import FileNode, FileSpace, SpaceMember
from app.settings import Settings

RIGHTS = ("read", "write", "manage")
_RANK = {right: rank for rank, right in enumerate(RIGHTS, start=1)}
_SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


@dataclass(frozen=True)
class Access:
    """A space as one user sees it: its name in URLs and the user's right on it."""

    space: FileSpace
    right: str
    mount: str  # "home" or "team/<slug>"

    def can(self, right: str) -> bool:
        """True when the user's right includes ``right``."""
        return _RANK[self.right] >= _RANK[right]

    def require(self, right: str) -> None:
        """Raise ``Forbidden`` unless the user has ``right``."""
        if not self.can(right):
            raise Forbidden("You may not change files in this space.")


def organization_of(db: Session, email: str) -> int:
    """The organization id of an account, 0 for a mail user without a directory account."""
    account = directory.find_account(db, email=email)
    return account.organization_id if account is not None else 0


def personal_space(db: Session, *, settings: Settings, email: str) -> FileSpace:
    """The user's own space, created on first use.

    Found by owner, not organization: someone who used WebDAV before their directory account
    existed keeps the same space (it then moves into their organization).
    """
    query = select(FileSpace).where(FileSpace.kind == "personal", FileSpace.owner_email == email)
    space = db.scalar(query)
    org = organization_of(db, email)
    if space is not None:
        if space.organization_id != org and org:
            space.organization_id = org
        return space
    try:
        with db.begin_nested():
            space = _create(
                db,
                kind="personal",
                org=org,
                slug=email,
                name=email,
                owner=email,
                quota=settings.files_quota_bytes,
            )
    except IntegrityError:  # created by a concurrent request
        space = db.scalar(query)
        assert space is not None
    return space


def _create(
    db: Session, *, kind: str, org: int, slug: str, name: str, owner: str | None, quota: int
) -> FileSpace:
    space = FileSpace(
        kind=kind,
        organization_id=org,
        slug=slug,
        name=name,
        owner_email=owner,
        quota_bytes=quota,
        used_bytes=0,
    )
    db.add(space)
    db.flush()
    db.add(FileNode(space_id=space.id, parent_id=None, name="", is_dir=True, etag="root"))
    db.flush()
    return space


def create_team_space(
    db: Session, *, settings: Settings, creator: str, slug: str, name: str
) -> FileSpace:
    """A new team space in the creator's organization; the creator manages it."""
    slug = slug.strip().lower()
    if not _SLUG_RE.match(slug):
        raise Invalid("“%(slug)s” is not a valid short name (letters, digits and -).", slug=slug)
    name = name.strip() or slug
    org = organization_of(db, creator)
    exists = select(FileSpace).where(
        FileSpace.kind == "team", FileSpace.organization_id == org, FileSpace.slug == slug
    )
    if db.scalar(exists) is not None:
        raise Conflict("The short name “%(slug)s” is already taken.", slug=slug)
    space = _create(
        db,
        kind="team",
        org=org,
        slug=slug,
        name=name[:200],
        owner=None,
        quota=settings.files_team_quota_bytes,
    )
    db.add(SpaceMember(space_id=space.id, email=creator, right="manage"))
    db.flush()
    return space


def set_member(db: Session, *, access: Access, email: str, right: str | None) -> None:
    """Give a person or a directory group (by its address) a right on a team space
    (``None`` removes them); needs "manage"."""
    access.require("manage")
    if access.space.kind != "team":
        raise Invalid("Only team spaces have members.")
    if right is not None and right not in RIGHTS:
        raise Invalid("Unknown right “%(right)s”.", right=right)
    email = email.strip().lower()
    group = directory_groups.find_group(db, address=email)
    if group is not None:
        org, group_id = group.organization_id, group.id
    else:
        org, group_id = organization_of(db, email), None
    if org != access.space.organization_id:
        raise Forbidden("Spaces are shared only within the organization.")
    member = db.get(SpaceMember, (access.space.id, email))
    if right is None:
        if member is not None:
            db.delete(member)
    elif member is None:
        db.add(SpaceMember(space_id=access.space.id, email=email, right=right, group_id=group_id))
    else:
        member.right, member.group_id = right, group_id
    db.flush()


def list_members(db: Session, *, access: Access) -> list[SpaceMember]:
    """The members of a team space."""
    query = select(SpaceMember).where(SpaceMember.space_id == access.space.id)
    return list(db.scalars(query.order_by(SpaceMember.email)))


def _team_rights(db: Session, *, email: str) -> Select[FileSpace, str]:
    """Team spaces of the user's organization with each right the user holds on them:
    their own membership and their groups' (nested groups included)."""
    groups = directory_groups.groups_of(db, email=email)
    mine = and_(SpaceMember.email == email, SpaceMember.group_id.is_(None))
    # Matched on id and address: a deleted group's row never reaches a new group that got
    # its id (SQLite reuses the highest rowid).
    theirs = tuple_(SpaceMember.group_id, SpaceMember.email).in_(list(groups.items()))
    return (
        select(FileSpace, SpaceMember.right)
        .join(SpaceMember, SpaceMember.space_id == FileSpace.id)
        .where(
            FileSpace.kind == "team",
            FileSpace.organization_id == organization_of(db, email),
            or_(mine, theirs) if groups else mine,
        )
    )


def _best(rows: list[tuple[FileSpace, str]]) -> dict[int, tuple[FileSpace, str]]:
    best: dict[int, tuple[FileSpace, str]] = {}
    for space, right in rows:
        if space.id not in best or _RANK[right] > _RANK[best[space.id][1]]:
            best[space.id] = (space, right)
    return best


def accessible_spaces(db: Session, *, settings: Settings, email: str) -> list[Access]:
    """Every space the user may open: their own first, then team spaces by name."""
    result = [Access(personal_space(db, settings=settings, email=email), "manage", "home")]
    rows = _best([(space, right) for space, right in db.execute(_team_rights(db, email=email))])
    teams = sorted(rows.values(), key=lambda row: (row[0].name, row[0].id))
    result.extend(Access(space, right, f"team/{space.slug}") for space, right in teams)
    return result


def open_space(db: Session, *, settings: Settings, email: str, mount: str) -> Access:
    """The space behind a mount name ("home" or "team/<slug>"), or ``NotFound``.

    A space the user is not a member of is reported as not found, never as forbidden.
    """
    if mount == "home":
        return Access(personal_space(db, settings=settings, email=email), "manage", "home")
    kind, _, slug = mount.partition("/")
    if kind == "team" and slug:
        query = _team_rights(db, email=email).where(FileSpace.slug == slug)
        rows = _best([(space, right) for space, right in db.execute(query)])
        if rows:
            space, right = next(iter(rows.values()))
            return Access(space, right, mount)
    raise NotFound("No such folder.")


def access_by_id(db: Session, *, settings: Settings, email: str, space_id: int) -> Access:
    """The user's access to a space known by id (locks, shares), or ``NotFound``."""
    space = db.get(FileSpace, space_id)
    if space is None:
        raise NotFound("No such folder.")
    mount = "home" if space.kind == "personal" else f"team/{space.slug}"
    if space.kind == "personal" and space.owner_email != email:
        raise NotFound("No such folder.")
    return open_space(db, settings=settings, email=email, mount=mount)
