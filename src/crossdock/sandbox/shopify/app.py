"""The sandbox's HTTP face: Shopify's Admin GraphQL endpoint for API version 2026-07."""

from __future__ import annotations

import hmac
import json

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from crossdock.sandbox.shopify.api import ShopifySandbox
from crossdock.sandbox.shopify.control import create_control_router

API_VERSION = "2026-07"
MISSING_QUERY = "Required parameter missing or invalid"
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"


def create_sandbox_app(sandbox: ShopifySandbox, *, access_token: str) -> FastAPI:
    app = FastAPI(title="crossdock Shopify sandbox", docs_url=None, redoc_url=None)
    app.state.sandbox = sandbox

    @app.post("/admin/api/{version}/graphql.json", include_in_schema=False)
    async def admin_graphql(version: str, request: Request) -> JSONResponse:
        if version != API_VERSION:
            return JSONResponse({"errors": "Not Found"}, status_code=404)
        given = request.headers.get("x-shopify-access-token", "")
        if not hmac.compare_digest(given.encode(), access_token.encode()):
            return JSONResponse({"errors": INVALID_TOKEN}, status_code=401)
        try:
            body = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"errors": {"query": MISSING_QUERY}}, status_code=400)
        status, answer = await run_in_threadpool(sandbox.handle, body)
        return JSONResponse(answer, status_code=status)

    app.include_router(create_control_router(sandbox, access_token))
    return app
