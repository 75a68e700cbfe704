"""Every half minute, each shop's and warehouse's waiting work gets its batch job if none is queued.

A transaction that adds such work wakes the job only once it has committed (store/job_flags.py): a process
that stops between the two, or a wake-up that fails, leaves work committed with no job to take it. The sweep
finds it — statuses not yet published, shipments not yet fulfilled in Shopify, orders not yet sent — and
wakes the job the same way, which does nothing where one is queued already.
"""

from __future__ import annotations

from crossdock.flows.order_dispatch import request_sending
from crossdock.flows.order_progress import request_fulfilment, request_status_publish
from crossdock.jobs.context import JobContext
from crossdock.jobs.queues import MAINTENANCE
from crossdock.jobs.registry import job
from crossdock.jobs.schedules import schedule

WAKE_SWEEP = "flows.wake_sweep"

schedule(WAKE_SWEEP, cron="*/30 * * * * *", job=WAKE_SWEEP)


@job(WAKE_SWEEP, queue=MAINTENANCE)
def wake_waiting_work(ctx: JobContext) -> dict[str, int]:
    """How many shops and warehouses had work waiting (whether or not their job was queued already)."""
    waiting = {"statuses": 0, "fulfilments": 0, "sendings": 0}
    with ctx.unit_of_work() as uow:
        for shop in uow.shops.all():
            if uow.orders.unpublished(shop.id, 1):
                request_status_publish(uow, shop)
                waiting["statuses"] += 1
            if uow.shipments.awaiting_fulfilment(shop.id, 1):
                request_fulfilment(uow, shop)
                waiting["fulfilments"] += 1
        for warehouse_id, code in uow.warehouses.codes().items():
            if uow.warehouse_orders.pending(warehouse_id, 1):
                request_sending(uow, warehouse_id, code)
                waiting["sendings"] += 1
        uow.commit()
    return waiting
