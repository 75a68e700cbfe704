"""The operators' dashboard: server-rendered pages (Jinja2, with htmx for in-place updates), behind a
login."""

from __future__ import annotations

from fastapi import APIRouter

from crossdock.web.dashboard import exceptions, login, orders, overview, stock

router = APIRouter(include_in_schema=False)
for module in (login, overview, orders, exceptions, stock):
    router.include_router(module.router)
