"""Everything the hub knows about one order, as one plain, JSON-able dict: the order, the warehouse orders
and shipments it became, the open exceptions about it and its timeline. `crossdock orders show` prints it
and GET /api/orders/{id} returns it, so both always say the same thing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from crossdock.store.exceptions import ExceptionRecord
from crossdock.store.orders import StoredOrder
from crossdock.store.schema import exceptions
from crossdock.store.unit_of_work import UnitOfWork
from crossdock.store.warehouse_orders import StoredWarehouseOrder

Report = dict[str, Any]


def report_by_id(uow: UnitOfWork, order_id: int) -> Report | None:
    stored = uow.orders.by_id(order_id)
    return None if stored is None else order_report(uow, stored)


def reports_by_name(uow: UnitOfWork, name: str, account_id: str | None = None) -> list[Report]:
    """The reports of every order called ``name`` (with or without "#"), newest first: two shops can
    both have a #1001."""
    return [order_report(uow, stored) for stored in uow.orders.by_name(name, account_id)]


def header(report: Report) -> Report:
    """The few fields that tell orders of the same name apart."""
    return {key: report[key] for key in ("id", "name", "status", "shop")}


def order_report(uow: UnitOfWork, stored: StoredOrder) -> Report:
    order = stored.order
    shop = uow.shops.by_id(stored.shop_id)
    address = order.shipping_address
    placed = uow.warehouse_orders.of_order(stored.id)
    shipments = []
    for warehouse_order in placed:
        for shipment in uow.shipments.of_warehouse_order(warehouse_order.id):
            shipped = shipment.shipped
            shipments.append(
                {
                    "shipment_id": shipment.shipment_id,
                    "warehouse": warehouse_order.warehouse_code,
                    "order_key": warehouse_order.order_key,
                    "shipped_at": _time(shipment.shipped_at),
                    "lines": [
                        {
                            "sku": line.sku,
                            "quantity_shipped": line.quantity_shipped,
                            "quantity_ordered": line.quantity_ordered,
                        }
                        for line in shipped.lines
                    ],
                    "parcels": [
                        {
                            "tracking_number": parcel.tracking_number,
                            "carrier": parcel.carrier_name or parcel.carrier_code,
                            "tracking_url": parcel.tracking_url,
                        }
                        for parcel in shipped.parcels
                    ],
                    "fulfillment_id": shipment.fulfillment_id,
                    "fulfilled_at": _time(shipment.fulfilled_at),
                }
            )
    return {
        "id": stored.id,
        "name": order.name,
        "shopify_order_id": order.shopify_order_id,
        "shop": None if shop is None else {"id": shop.id, "key": shop.name, "domain": shop.domain},
        "account_id": stored.account_id,
        "status": stored.state.status,
        "holds": sorted(stored.state.holds),
        "financial_status": order.financial_status,
        "cancelled_at": _time(order.cancelled_at),
        "created_at": _time(order.created_at),
        "lines": [
            {"line_id": line.line_id, "sku": line.sku, "quantity": line.quantity, "title": line.title}
            for line in order.lines
        ],
        "ship_to": None if address is None else {"city": address.city, "country_code": address.country_code},
        "warehouse_orders": [
            {
                "id": placed_order.id,
                "warehouse": placed_order.warehouse_code,
                "order_key": placed_order.order_key,
                "status": placed_order.status,
                "warehouse_reference": placed_order.warehouse_reference,
                "sent_at": _time(placed_order.sent_at),
                "lines": [
                    {"line_number": line.line_number, "sku": line.sku, "quantity": line.quantity}
                    for line in placed_order.order.lines
                ],
            }
            for placed_order in placed
        ],
        "shipments": shipments,
        "open_exceptions": [
            {
                "id": record.id,
                "type": record.type,
                "severity": record.severity,
                "message": record.message,
                "details": record.details,
                "occurrences": record.occurrences,
                "last_seen_at": _time(record.last_seen_at),
            }
            for record in _open_exceptions_about(uow, stored.id)
        ],
        "timeline": [
            {"at": _time(event.occurred_at), "kind": event.kind, "message": event.message}
            for event in uow.order_events.timeline(stored.account_id, order.shopify_global_id)
        ],
        "outbound_calls": _outbound_calls(uow, stored, placed),
    }


def _outbound_calls(uow: UnitOfWork, stored: StoredOrder, placed: list[StoredWarehouseOrder]) -> list[Report]:
    """Every attempt of every call made for the order, oldest first: the Shopify calls about it and the X12
    documents written for its warehouse orders (an upload is the call; the partner's 997 its answer)."""
    calls: list[Report] = [
        {
            "started_at": _time(call.started_at),
            "target": call.target,
            "operation": call.operation,
            "attempt": call.attempt,
            "status": call.status,
            "duration_ms": call.duration_ms,
            "error": call.error,
            "request_summary": call.request_summary,
            "response_summary": call.response_summary,
        }
        for call in uow.outbound_calls.about(stored.order.shopify_global_id)
    ]
    for warehouse_order in placed:
        warehouse = uow.warehouses.by_code(warehouse_order.warehouse_code)
        if warehouse is None:
            continue
        for document in uow.x12_documents.for_subject(warehouse.id, warehouse_order.order_key):
            purpose = f" purpose {document.purpose}" if document.purpose else ""
            uploaded = document.uploaded_at is not None
            calls.append(
                {
                    "started_at": _time(document.created_at),
                    "target": f"x12:{warehouse_order.warehouse_code}",
                    "operation": f"upload {document.set_code}{purpose}",
                    "attempt": document.upload_attempts,
                    "status": "succeeded"
                    if uploaded
                    else "retriable_error"
                    if document.last_error
                    else "in_flight",
                    "duration_ms": None,
                    "error": document.last_error,
                    "request_summary": {
                        "file_name": document.file_name,
                        "interchange_control": document.interchange_control,
                        "group_control": document.group_control,
                    },
                    "response_summary": {
                        "uploaded_at": _time(document.uploaded_at),
                        "acknowledgment": document.ack_status,
                        "acknowledged_at": _time(document.acknowledged_at),
                    },
                }
            )
    calls.sort(key=lambda call: call["started_at"] or "")
    return calls


def _open_exceptions_about(uow: UnitOfWork, order_id: int) -> list[ExceptionRecord]:
    # The repository lists open exceptions by type or account, capped; an order's own are few, and all of
    # them must show, whatever else is open.
    rows = uow.connection.execute(
        sa.select(exceptions)
        .where(
            exceptions.c.subject_type == "order",
            exceptions.c.subject_id == str(order_id),
            exceptions.c.status == "open",
        )
        .order_by(exceptions.c.first_seen_at, exceptions.c.id)
    )
    return [ExceptionRecord(**row._mapping) for row in rows]


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _short(iso_time: str | None) -> str:
    """A time of the report as the other commands print them: to the second, UTC."""
    return "-" if iso_time is None else f"{iso_time[:10]} {iso_time[11:19]}"


def report_text(report: Report) -> list[str]:
    """The report as an operator reads it in a terminal (times in UTC)."""
    shop = report["shop"]
    shop_text = "unknown shop" if shop is None else f"shop {shop['key']} ({shop['domain']})"
    holds = f" (holds: {', '.join(report['holds'])})" if report["holds"] else ""
    ship_to = report["ship_to"] or {}
    lines = [
        f"{report['name']}  order {report['id']}, Shopify {report['shopify_order_id']}, {shop_text}, "
        f"account {report['account_id']}",
        f"  status: {report['status']}{holds}; payment: {report['financial_status'] or '-'}"
        + (f"; cancelled {_short(report['cancelled_at'])}" if report["cancelled_at"] else ""),
        f"  ship to: {ship_to.get('city') or '-'}, {ship_to.get('country_code') or '-'}",
        "  lines:",
        *(
            f"    {line['sku'] or '(no SKU)'} x {line['quantity']}  {line['title']}"
            for line in report["lines"]
        ),
        "  warehouse orders:" if report["warehouse_orders"] else "  warehouse orders: none",
    ]
    for placed in report["warehouse_orders"]:
        lines.append(
            f"    {placed['warehouse']} {placed['order_key']}: {placed['status']}, reference "
            f"{placed['warehouse_reference'] or '-'}, sent {_short(placed['sent_at'])}"
        )
        lines += [
            f"      {line['line_number']}. {line['sku']} x {line['quantity']}" for line in placed["lines"]
        ]
    lines.append("  shipments:" if report["shipments"] else "  shipments: none")
    for shipment in report["shipments"]:
        lines.append(
            f"    {shipment['shipment_id']} ({shipment['warehouse']} {shipment['order_key']}), shipped "
            f"{_short(shipment['shipped_at'])}, Shopify fulfillment {shipment['fulfillment_id'] or '-'}"
        )
        lines += [
            f"      {line['sku']}: {line['quantity_shipped']} of {line['quantity_ordered']}"
            for line in shipment["lines"]
        ]
        lines += [
            f"      parcel {parcel['tracking_number']} {parcel['carrier'] or ''}".rstrip()
            for parcel in shipment["parcels"]
        ]
    lines.append("  open exceptions:" if report["open_exceptions"] else "  open exceptions: none")
    lines += [
        f"    {record['id']} {record['type']} ({record['severity']}): {record['message']}"
        for record in report["open_exceptions"]
    ]
    lines.append("  timeline:" if report["timeline"] else "  timeline: empty")
    lines += [
        f"    {_short(event['at'])}  {event['kind']}: {event['message']}" for event in report["timeline"]
    ]
    return lines
