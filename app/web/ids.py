"""Integers from the URL or a form must fit the database's 64-bit integer columns.

FastAPI parses ``account_id: int`` into a Python int of any size; a 40-digit id would then
overflow in the database driver (SQLite: ``OverflowError``, PostgreSQL: out of range) and
answer 500. No row has such an id, so the request is refused at the edge: 404 for an id in
the path, 400 for a number in the query or the form.
"""

from __future__ import annotations

from typing import Any, get_args

from fastapi import Request
from fastapi.routing import APIRoute

from app.errors import Invalid, NotFound

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def ids_in_range(request: Request) -> None:
    """An app-wide dependency: refuse integer parameters beyond 64 bits."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    dependant = route.dependant
    for param in dependant.path_params:
        if _is_int(param) and not _fits(request.path_params.get(param.name)):
            raise NotFound("There is nothing at this address.")
    query = [
        v
        for p in dependant.query_params
        if _is_int(p)
        for v in request.query_params.getlist(p.alias)
    ]
    form: list[Any] = []
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    int_fields = [p.alias for p in dependant.body_params if _is_int(p)]
    if int_fields and content_type in FORM_TYPES:
        data = await request.form()  # the form FastAPI already parsed for this request
        form = [v for name in int_fields for v in data.getlist(name)]
    if not all(_fits(value) for value in (*query, *form)):
        raise Invalid("Some of what you entered is not valid.")


def _is_int(param: Any) -> bool:
    annotation = param.field_info.annotation
    return annotation is int or int in get_args(annotation)


def _fits(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        number = int(value)
    except ValueError:
        return True  # not a number at all: FastAPI's own validation refuses it
    return INT64_MIN <= number <= INT64_MAX
