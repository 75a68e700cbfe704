"""The warehouse's SFTP server down for several minutes."""

from __future__ import annotations

from crossdock.scenarios.registry import scenario
from crossdock.scenarios.stage import Stage
from crossdock.scenarios.verdict import Verdict

OUTAGE_SECONDS = 300


@scenario(
    "sftp-outage",
    "The 3PL's SFTP server refuses connections for 5 minutes while orders come in and a shipment is waiting "
    "to be read: nothing is lost, and once it is back every order reaches the 3PL once and the shipment "
    "reaches Shopify.",
)
def sftp_outage(stage: Stage, verdict: Verdict) -> None:
    first = stage.place({"TENT-2P": 1})
    stage.reaches(first["name"], "accepted")
    key = stage.warehouse_keys(first["name"])[0]
    stage.at_warehouse(key)
    stage.outage(True)
    stage.ship(key)  # its 945 waits on the 3PL's side
    during = [stage.place({"STOVE-1": 1}) for _ in range(3)]
    stage.pause(OUTAGE_SECONDS)
    verdict.expect("warehouse", "940s received during the outage", 1, len(stage.files_received("940")))
    stage.outage(False)
    for placed in during:
        stage.reaches(placed["name"], "accepted", timeout=120)
    stage.reaches(first["name"], "shipped", timeout=120)
    stage.wait_for(lambda: stage.fulfillments(first["id"]), "the waiting shipment's fulfillment", 120)
    verdict.expect(
        "hub",
        "orders accepted after the outage",
        3,
        sum(stage.status(p["name"]) == "accepted" for p in during),
    )
    verdict.expect("warehouse", "940s received in all (one per order)", 4, len(stage.files_received("940")))
    verdict.expect("shopify", "the shipment fulfilled", 1, len(stage.fulfillments(first["id"])))
    verdict.expect("hub", "dead letters", 0, len(stage.exceptions("dead_letter")))
