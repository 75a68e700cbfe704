"""The control API of the X12 3PL sandbox, under ``/_sandbox/`` on its own port: look at the site (orders,
stock, files), drive it (stock, pick, ship, snapshot, adjust now) and turn its knobs (timings, shares,
outage, a malformed next file) from tests, scenarios or a person with curl.

Handlers are ``async`` on purpose: they run on the event loop that also runs the sandbox's polling loop, so
the simulation is only ever touched from one thread.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import asdict
from typing import Any

import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from crossdock.domain.warehouse import AdjustmentReason
from crossdock.sandbox.warehouse.simulation import SimulationError
from crossdock.sandbox.warehouse.stock import StockError
from crossdock.sandbox.x12_3pl.server import X12ThreePlSandbox


class StockUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stock: dict[str, int] = Field(description="SKU → units on hand")


class ShipRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # SKU → units for a partial shipment; absent: every allocated unit left.
    lines: dict[str, int] | None = None


class ReturnReceipt(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # SKU → units found damaged (not restocked); absent: drawn with the damaged_return_share knob.
    damaged: dict[str, int] | None = None


class Adjustment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1)
    delta: int
    reason: AdjustmentReason = "cycle_count"
    reason_code: str | None = None


def create_control_app(sandbox: X12ThreePlSandbox) -> FastAPI:
    app = FastAPI(title="crossdock X12 3PL sandbox control", docs_url="/_sandbox/docs", openapi_url=None)
    simulation = sandbox.simulation

    def refused(error: Exception) -> HTTPException:
        return HTTPException(status_code=409, detail=str(error))

    @app.get("/_sandbox/state")
    async def state() -> dict[str, Any]:
        return sandbox.describe()

    @app.get("/_sandbox/events")
    async def events(since: int = 0) -> list[dict[str, Any]]:
        return sandbox.events(since)

    @app.post("/_sandbox/stock")
    async def set_stock(update: StockUpdate) -> dict[str, Any]:
        try:
            for sku, units in update.stock.items():
                simulation.set_stock(sku, units)
        except (SimulationError, StockError) as error:
            raise refused(error) from error
        return {"stock": sandbox.describe()["stock"]}

    @app.post("/_sandbox/orders/{key}/pick")
    async def pick(key: str) -> dict[str, Any]:
        try:
            simulation.pick_now(key)
        except SimulationError as error:
            raise refused(error) from error
        return {"key": key, "status": simulation.order(key).status}

    @app.post("/_sandbox/orders/{key}/ship")
    async def ship(key: str, request: ShipRequest | None = None) -> dict[str, Any]:
        try:
            shipped = simulation.ship_now(key, request.lines if request else None)
        except SimulationError as error:
            raise refused(error) from error
        return {"key": key, "status": simulation.order(key).status, "shipment_id": shipped.shipment_id}

    @app.post("/_sandbox/orders/{key}/cancel")
    async def cancel(key: str) -> dict[str, Any]:
        event = simulation.cancel_order(key)
        return {"key": key, "outcome": type(event).__name__}

    @app.post("/_sandbox/returns/{key}/receive")
    async def receive_return(key: str, request: ReturnReceipt | None = None) -> dict[str, Any]:
        try:
            received = simulation.receive_return_now(key, request.damaged if request else None)
        except SimulationError as error:
            raise refused(error) from error
        return {"key": key, "lines": [asdict(line) for line in received.lines]}

    @app.post("/_sandbox/snapshot")
    async def snapshot() -> dict[str, Any]:
        taken = simulation.snapshot_now()
        return {"skus": len(taken.levels)}

    @app.post("/_sandbox/adjust")
    async def adjust(adjustment: Adjustment) -> dict[str, Any]:
        try:
            simulation.adjust(
                adjustment.sku, adjustment.delta, adjustment.reason, reason_code=adjustment.reason_code
            )
        except (SimulationError, StockError) as error:
            raise refused(error) from error
        return {"sku": adjustment.sku, "delta": adjustment.delta}

    @app.get("/_sandbox/knobs")
    async def knobs() -> dict[str, Any]:
        return sandbox.knobs()

    @app.post("/_sandbox/knobs")
    async def set_knobs(values: dict[str, Any]) -> dict[str, Any]:
        try:
            return sandbox.set_knobs(**values)
        except (SimulationError, ValueError, TypeError) as error:
            raise HTTPException(status_code=422, detail=str(error)) from error

    @app.post("/_sandbox/step")
    async def step() -> dict[str, Any]:
        """Poll now instead of waiting for the loop (tests, impatient people)."""
        sandbox.step()
        return {"files_written": len(sandbox.describe()["files_written"])}

    return app


class ControlServer:
    """The control app served by uvicorn on the running event loop, from a socket bound before it starts
    (so that port 0 gives a known free port)."""

    def __init__(self, sandbox: X12ThreePlSandbox) -> None:
        self._app = create_control_app(sandbox)
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        bound: int = listener.getsockname()[1]
        config = uvicorn.Config(self._app, log_config=None, access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[listener]), name="x12-3pl control API")
        while not self._server.started:
            if self._task.done():
                await self._task
                raise RuntimeError(f"the control API did not start on {host}:{bound}")
            await asyncio.sleep(0.01)
        return bound

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        await self._task
        self._server = None
        self._task = None
