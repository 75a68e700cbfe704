"""The X12 face of the simulated 3PL: an SFTP mailbox where the hub drops 940s and 180s and picks up the
997s, 870s, 945s, 846s, 947s and 944s the warehouse writes.

Layout of the served root (``<root>/sftp``), as the 3PL sees it::

    /in            the hub uploads here (its "outbound" folder): 940 orders, changes and cancels, 180 RMAs
    /in/archive    inbound files once processed (never deleted)
    /in/error      inbound files that could not be read as an interchange addressed to this warehouse
    /out           the sandbox writes here (the hub's "inbound"), each file first as ``.<name>.part`` and
                   then renamed into place, so that a reader never sees half a file

Every ``poll_seconds`` the loop (``step``) reads the complete files of ``/in``, answers every functional
group with a 997 (accepting or rejecting each set, with AK3/AK4 for the errors the readers found), feeds the
simulation (940 N → ``receive_order``, R → ``change_order``, F → ``cancel_order``; 180 → ``expect_return``),
ticks it and writes each event it emitted as the set that carries it: Shipped → 945, StockSnapshot → 846,
StockAdjusted → 947 (the adjustments of one step share one set), ReceiptPosted and ReturnReceived → 944.

OrderAcknowledged, OrderRejected, PreparationStarted, CancelConfirmed and CancelRefused → 870 Order Status
Report (group RS), the set real 3PLs use for business outcomes: the statuses of one order in one step share
an 870, one file per order. A 997 rejection is deliberately not used for OrderRejected: a 997 says whether a
set conforms to the standard and the agreement, it is sent on receipt (before the warehouse looked at its
stock) and a hub that reads AK5 "R" resends a corrected document — a business refusal such as an unknown SKU
would be misreported as a syntax error. So a 940 is answered twice: a 997 (readable) and later an 870
(accepted with NN, or refused with DE and the reason and SKUs); a cancel gets an 870 IC (cancelled) or ZZ
(refused, with the reason and the shipment that made it too late).

A file that cannot be read as an interchange addressed to this warehouse (broken envelope, wrong ISA08) goes
to ``/in/error`` unanswered: without a readable GS there is no group a 997 could acknowledge.

Interchange and group control numbers increase for ever and are kept, with the simulation, the inbound
interchanges already processed and the file logs, in ``<root>/state.json``: a restarted sandbox continues.
An interchange whose sender and ISA13 were processed already is answered again with a 997 but not fed twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import structlog

from crossdock.config import X12PartnerSettings
from crossdock.connectors.x12.codec import X12Error, build_interchange, read_interchange, write_interchange
from crossdock.connectors.x12.documents.context import ReadContext
from crossdock.connectors.x12.documents.functional_ack_997 import read_997, write_997
from crossdock.connectors.x12.documents.inventory_adjustment_947 import write_947
from crossdock.connectors.x12.documents.inventory_advice_846 import write_846
from crossdock.connectors.x12.documents.order_status_870 import OrderStatusEvent, write_870
from crossdock.connectors.x12.documents.return_authorisation_180 import read_180
from crossdock.connectors.x12.documents.shipping_advice_945 import write_945
from crossdock.connectors.x12.documents.shipping_order_940 import read_940
from crossdock.connectors.x12.documents.warehouse_receipt_944 import write_944
from crossdock.connectors.x12.model import FunctionalGroup, Interchange, Party, Segment, TransactionSet
from crossdock.connectors.x12.transport.mailbox import is_in_flight
from crossdock.domain.warehouse import (
    CancelConfirmed,
    CancelRefused,
    OrderAcknowledged,
    OrderRejected,
    PreparationStarted,
    ReceiptPosted,
    ReturnReceived,
    Shipped,
    StockAdjusted,
    StockSnapshot,
    WarehouseEvent,
    WarehouseOrder,
)
from crossdock.sandbox.sftp_server import SftpSandboxServer
from crossdock.sandbox.warehouse.simulation import SimulationKnobs, WarehouseSimulation

log = structlog.get_logger("crossdock.sandbox.x12_3pl")

Malformation = Literal["truncate", "bad-counts", "garbage"]
MALFORMATIONS: tuple[Malformation, ...] = ("truncate", "bad-counts", "garbage")

# GS-01 of each set the sandbox writes.
_FUNCTIONAL_IDS = {"945": "SW", "846": "IB", "947": "AW", "944": "RE", "870": "RS", "997": "FA"}
_ORDER_STATUSES = (OrderAcknowledged, OrderRejected, PreparationStarted, CancelConfirmed, CancelRefused)
_STATE_FILE = "state.json"
_EVENT_LOG_SIZE = 2000
_FILE_LOG_SIZE = 500


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class FileRecord:
    name: str
    at: str
    outcome: str
    detail: str | None = None


@dataclass
class _Counters:
    interchange: int = 0
    group: int = 0


@dataclass
class _Logs:
    events: list[dict[str, Any]] = field(default_factory=list)
    files_seen: list[FileRecord] = field(default_factory=list)
    files_written: list[FileRecord] = field(default_factory=list)
    processed_interchanges: list[str] = field(default_factory=list)


class X12ThreePlSandbox:
    """The simulated 3PL behind an SFTP server speaking X12.

    ``partner`` is the trading-partner agreement as the hub configures it (``[warehouses.<key>.x12]``): its
    ``sender_id`` is the hub, its ``receiver_id`` this warehouse; the sandbox writes with the two swapped.
    """

    def __init__(
        self,
        root: Path,
        *,
        partner: X12PartnerSettings,
        simulation: WarehouseSimulation,
        sftp: SftpSandboxServer | None = None,
        username: str = "crossdock",
        password: str = "sandbox",
        poll_seconds: float = 1.0,
        malformed_next: Malformation | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if poll_seconds <= 0:
            raise ValueError(f"poll_seconds must be above 0, got {poll_seconds}")
        self.root = root
        self.partner = partner
        self.simulation = simulation
        self.poll_seconds = poll_seconds
        self._clock = clock
        self.sftp_root = root / "sftp"
        self.inbox = self.sftp_root / "in"
        self.outbox = self.sftp_root / "out"
        self.sftp = sftp or SftpSandboxServer(self.sftp_root, username=username, password=password)
        self.username = username
        self.password = password
        if malformed_next is not None and malformed_next not in MALFORMATIONS:
            raise ValueError(f"malformed_next must be one of {', '.join(MALFORMATIONS)} or None")
        self.malformed_next: Malformation | None = malformed_next
        self._counters = _Counters()
        self._logs = _Logs()
        self._loop_task: asyncio.Task[None] | None = None
        self._load_face_state()

    # --- construction ----------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        root: Path,
        *,
        partner: X12PartnerSettings,
        warehouse: str = "sandbox-3pl",
        seed: int = 0,
        initial_stock: dict[str, int] | None = None,
        knobs: SimulationKnobs | None = None,
        clock: Callable[[], datetime] = utc_now,
        **options: Any,
    ) -> X12ThreePlSandbox:
        """The sandbox of ``root``: continued from ``root/state.json`` when it exists (the initial stock is
        then ignored; ``knobs``, when given, replace the saved ones), else a new site with
        ``initial_stock``."""
        state_path = root / _STATE_FILE
        if state_path.exists():
            saved = json.loads(state_path.read_text(encoding="utf-8"))
            simulation = WarehouseSimulation.from_state(saved["simulation"], clock=clock)
            if knobs is not None:
                simulation.update_knobs(**asdict(knobs))
        else:
            simulation = WarehouseSimulation(warehouse=warehouse, clock=clock, seed=seed, knobs=knobs)
            for sku, units in (initial_stock or {}).items():
                simulation.set_stock(sku, units)
        return cls(root, partner=partner, simulation=simulation, clock=clock, **options)

    # --- life cycle ------------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Start the SFTP server and the polling loop; returns the SFTP port."""
        for folder in (self.inbox / "archive", self.inbox / "error", self.outbox):
            folder.mkdir(parents=True, exist_ok=True)
        bound = await self.sftp.start(host, port)
        self._loop_task = asyncio.create_task(self._run(), name="x12-3pl sandbox loop")
        log.info("x12 3pl sandbox started", port=bound, root=str(self.root))
        return bound

    async def stop(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        await self.sftp.stop()
        # Events a control hook emitted after the last poll are written before the state is saved.
        self._write_events(self.simulation.drain_events())
        self.save()

    async def _run(self) -> None:
        while True:
            try:
                self.step()
            except Exception:
                # One bad step (a full disk, a bug in a writer) must not end the sandbox: it is logged with
                # its traceback and the next poll tries again.
                log.exception("x12 3pl sandbox step failed")
            await asyncio.sleep(self.poll_seconds)

    def step(self) -> None:
        """One poll: read the inbox, tick the simulation, write what it emitted, save the state."""
        for folder in (self.inbox / "archive", self.inbox / "error", self.outbox):
            folder.mkdir(parents=True, exist_ok=True)
        for path in self._complete_inbound_files():
            try:
                self._process(path)
            except Exception as error:
                # A file that breaks the sandbox itself must not be retried at every poll for ever: it goes
                # to /in/error with the reason, and the traceback is logged.
                log.exception("x12 3pl sandbox: inbound file failed", file=path.name)
                self._file_seen(path.name, "error", f"{type(error).__name__}: {error}")
                if path.exists():
                    self._move(path, self.inbox / "error")
        self.simulation.tick(self._clock())
        self._write_events(self.simulation.drain_events())
        self.save()

    # --- knobs -----------------------------------------------------------------------------------------

    @property
    def outage(self) -> bool:
        return self.sftp.outage

    @outage.setter
    def outage(self, value: bool) -> None:
        self.sftp.outage = value

    def set_knobs(self, **values: Any) -> dict[str, Any]:
        """Change face knobs (``outage``, ``malformed_next``) and simulation knobs in one call; nothing
        changes when one value is refused."""
        face = {name: values.pop(name) for name in ("outage", "malformed_next") if name in values}
        malformed = face.get("malformed_next", self.malformed_next)
        if malformed is not None and malformed not in MALFORMATIONS:
            raise ValueError(
                f"malformed_next must be one of {', '.join(MALFORMATIONS)} or null, got {malformed!r}"
            )
        if values:
            self.simulation.update_knobs(**values)
        if "outage" in face:
            self.outage = bool(face["outage"])
        self.malformed_next = malformed
        self._note("knobs changed", values | face)
        return self.knobs()

    def knobs(self) -> dict[str, Any]:
        return {
            "outage": self.outage,
            "malformed_next": self.malformed_next,
            "poll_seconds": self.poll_seconds,
            **asdict(self.simulation.knobs),
        }

    # --- what the control API shows --------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        return {
            "warehouse": self.simulation.warehouse,
            "interchange_id": self.partner.receiver_id,
            "hub_interchange_id": self.partner.sender_id,
            "version": self.partner.version,
            "orders": [
                {
                    "key": simulated.order.key,
                    "order_name": simulated.order.order_name,
                    "status": simulated.status,
                    "warehouse_reference": simulated.warehouse_reference,
                    "lines": [
                        {
                            "line_number": line.line_number,
                            "sku": line.sku,
                            "ordered": line.quantity,
                            "allocated": simulated.allocated.get(line.line_number, 0),
                            "shipped": simulated.shipped.get(line.line_number, 0),
                        }
                        for line in simulated.order.lines
                    ],
                    "shipments": simulated.shipments,
                    "reason": simulated.reason,
                }
                for simulated in self.simulation.orders()
            ],
            "returns": [
                {"key": expected.authorisation.key, "received": expected.received}
                for expected in self.simulation.returns()
            ],
            "stock": [asdict(level) for level in self.simulation.stock_levels()],
            "files_seen": [asdict(record) for record in self._logs.files_seen],
            "files_written": [asdict(record) for record in self._logs.files_written],
            "knobs": self.knobs(),
        }

    def events(self, since: int = 0) -> list[dict[str, Any]]:
        """The event log from position ``since`` (each entry carries its ``position``)."""
        return [entry for entry in self._logs.events if entry["position"] >= since]

    # --- inbound ---------------------------------------------------------------------------------------

    def _complete_inbound_files(self) -> list[Path]:
        if not self.inbox.is_dir():
            return []
        # A file still being written under its final name (a client that does not rename into place) has
        # a fresh modification time: it waits one poll interval. File times are real, hence time.time().
        settled_before = time.time() - self.poll_seconds
        files = [
            path
            for path in self.inbox.iterdir()
            if path.is_file()
            and not path.is_symlink()
            and not is_in_flight(path.name)
            and path.stat().st_mtime <= settled_before
        ]
        return sorted(files, key=lambda path: (path.stat().st_mtime_ns, path.name))

    def _process(self, path: Path) -> None:
        data = path.read_bytes()
        try:
            interchange = read_interchange(data)
            self._check_addressed_to_us(interchange)
        except X12Error as error:
            self._file_seen(path.name, "error", str(error))
            self._move(path, self.inbox / "error")
            log.warning("x12 3pl sandbox: unreadable inbound file", file=path.name, error=str(error))
            return
        identity = f"{interchange.sender.identifier.strip()}/{interchange.control_number}"
        duplicate = identity in self._logs.processed_interchanges
        for group in interchange.groups:
            if group.functional_id == "FA":
                self._read_acknowledgments(interchange, group, path.name)
                continue
            errors: dict[str, list[X12Error]] = {}
            for transaction_set in group.transaction_sets:
                try:
                    self._handle_set(transaction_set, interchange, group, path.name, feed=not duplicate)
                except (X12Error, ValueError) as error:
                    # Domain values refuse some contents the readers let through (a negative quantity…):
                    # for the partner that is a set that breaks the agreement, rejected like the others.
                    found = error if isinstance(error, X12Error) else X12Error("invalid-value", str(error))
                    errors[transaction_set.control_number] = [found]
                    self._note(
                        "set rejected",
                        {
                            "file": path.name,
                            "set": transaction_set.code,
                            "control": transaction_set.control_number,
                            "error": str(error),
                        },
                    )
            body = write_997(interchange, group, errors or None, partner=self.partner)
            self._write_sets([("997", body)])
        if not duplicate:
            self._logs.processed_interchanges.append(identity)
        self._file_seen(path.name, "duplicate" if duplicate else "processed", identity)
        self._move(path, self.inbox / "archive")

    def _check_addressed_to_us(self, interchange: Interchange) -> None:
        ours = self.partner.receiver_id.strip()
        if interchange.receiver.identifier.strip() != ours:
            raise X12Error(
                "isa-value",
                f"ISA08 names receiver {interchange.receiver.identifier.strip()!r}; "
                f"this warehouse is {ours!r}",
                segment_tag="ISA",
                element=8,
            )

    def _handle_set(
        self,
        transaction_set: TransactionSet,
        interchange: Interchange,
        group: FunctionalGroup,
        file_name: str,
        *,
        feed: bool,
    ) -> None:
        context = ReadContext(
            warehouse=self.simulation.warehouse,
            partner=self.partner,
            interchange=interchange,
            group=group,
            file_name=file_name,
        )
        if transaction_set.code == "940":
            received = read_940(transaction_set, context)
            if feed:
                self._feed_940(received.purpose, received.order, file_name)
        elif transaction_set.code == "180":
            authorisation = read_180(transaction_set, context).authorisation
            if feed:
                created = self.simulation.expect_return(authorisation)
                self._note(
                    "return expected" if created else "return already expected", {"key": authorisation.key}
                )
        else:
            raise X12Error(
                "unsupported-set",
                f"set {transaction_set.code} is not one this warehouse receives (940, 180; 997 in group FA)",
                segment_tag="ST",
                element=1,
            )

    def _feed_940(self, purpose: str, order: WarehouseOrder, file_name: str) -> None:
        if purpose == "N":
            created = self.simulation.receive_order(order)
            self._note(
                "order received" if created else "order already known", {"key": order.key, "file": file_name}
            )
        elif purpose == "R":
            outcome = self.simulation.change_order(order)
            self._note(
                "change applied" if outcome.accepted else "change refused",
                {"key": order.key, "reason": outcome.reason},
            )
        else:
            self.simulation.cancel_order(order.key)

    def _read_acknowledgments(self, interchange: Interchange, group: FunctionalGroup, file_name: str) -> None:
        for transaction_set in group.transaction_sets:
            context = ReadContext(self.simulation.warehouse, self.partner, interchange, group, file_name)
            try:
                acknowledgment = read_997(transaction_set, context)
            except X12Error as error:
                # A 997 is never answered by a 997: a bad one is only logged.
                self._note("unreadable 997", {"file": file_name, "error": str(error)})
                continue
            self._note("997 received", {"file": file_name, "acknowledgment": _jsonable(acknowledgment)})

    # --- outbound --------------------------------------------------------------------------------------

    def _write_events(self, events: Sequence[WarehouseEvent]) -> None:
        """Write each event as its set, one interchange per set; the adjustments of one step share a 947 and
        the statuses of one order in one step share an 870. An event its writer refuses (a value too long for
        its element…) is logged and kept in the event log as "set not written", and the others still go
        out."""
        sets: list[tuple[str, tuple[Segment, ...]]] = []
        adjustments: list[StockAdjusted] = []
        statuses: dict[str, list[OrderStatusEvent]] = {}
        for event in events:
            self._note(type(event).__name__, _jsonable(event))
            if isinstance(event, StockAdjusted):
                adjustments.append(event)
                continue
            if isinstance(event, _ORDER_STATUSES):
                statuses.setdefault(event.order_key, []).append(event)
                continue
            try:
                found = self._event_sets(event)
            except (X12Error, ValueError) as error:
                self._set_not_written(type(event).__name__, error)
                continue
            if found is not None:
                sets.append(found)
        for order_statuses in statuses.values():
            try:
                sets.append(("870", write_870(order_statuses, partner=self.partner)))
            except (X12Error, ValueError) as error:
                self._set_not_written(", ".join(type(event).__name__ for event in order_statuses), error)
        if adjustments:
            try:
                sets.append(("947", write_947(tuple(adjustments), partner=self.partner)))
            except (X12Error, ValueError) as error:
                self._set_not_written("StockAdjusted", error)
        # One interchange per set: a hub archives and dedupes per file, and a broken set spoils one file.
        for code, body in sets:
            self._write_sets([(code, body)])

    def _set_not_written(self, kind: str, error: Exception) -> None:
        log.error("x12 3pl sandbox: set not written", event=kind, error=str(error))
        self._note("set not written", {"event": kind, "error": str(error)})

    def _event_sets(self, event: WarehouseEvent) -> tuple[str, tuple[Segment, ...]] | None:
        if isinstance(event, Shipped):
            order_name = self.simulation.order(event.order_key).order.order_name
            return "945", write_945(event, partner=self.partner, order_name=order_name)
        if isinstance(event, StockSnapshot):
            return "846", write_846(event, partner=self.partner)
        if isinstance(event, (ReceiptPosted, ReturnReceived)):
            return "944", write_944(event, partner=self.partner)
        return None

    def _write_sets(self, sets: Sequence[tuple[str, tuple[Segment, ...]]]) -> str:
        self._counters.interchange += 1
        self._counters.group += 1
        interchange = build_interchange(
            sender=Party(self.partner.receiver_qualifier, self.partner.receiver_id),
            receiver=Party(self.partner.sender_qualifier, self.partner.sender_id),
            gs_sender=self.partner.gs_receiver,
            gs_receiver=self.partner.gs_sender,
            version=self.partner.version,
            usage=self.partner.usage,
            interchange_control=self._counters.interchange,
            group_control=self._counters.group,
            sets=[(code, _FUNCTIONAL_IDS[code], body) for code, body in sets],
            now=self._clock(),
            # The hub answers what it reads with 997s anyway; asking for a TA1 as well would be noise.
            acknowledgment_requested=False,
        )
        # Several functional ids in one interchange take one group number each.
        self._counters.group += len(interchange.groups) - 1
        data = write_interchange(interchange)
        malformation = self.malformed_next
        if malformation is not None:
            data = _malformed(data, malformation)
            self.malformed_next = None
        name = f"{sets[0][0]}_{self._counters.interchange:09d}.edi"
        temporary = self.outbox / f".{name}.part"
        temporary.write_bytes(data)
        os.replace(temporary, self.outbox / name)
        self._logs.files_written.append(
            FileRecord(name, self._clock().isoformat(), malformation or "written", interchange.control_number)
        )
        del self._logs.files_written[:-_FILE_LOG_SIZE]
        return name

    # --- state -----------------------------------------------------------------------------------------

    def save(self) -> None:
        state = {
            "x12": {
                "interchange_control": self._counters.interchange,
                "group_control": self._counters.group,
                "processed_interchanges": self._logs.processed_interchanges,
            },
            "files_seen": [asdict(record) for record in self._logs.files_seen],
            "files_written": [asdict(record) for record in self._logs.files_written],
            "simulation": self.simulation.to_state(),
        }
        self.root.mkdir(parents=True, exist_ok=True)
        temporary = self.root / f".{_STATE_FILE}.part"
        temporary.write_text(json.dumps(state, indent=1), encoding="utf-8")
        os.replace(temporary, self.root / _STATE_FILE)

    def _load_face_state(self) -> None:
        path = self.root / _STATE_FILE
        if not path.exists():
            return
        saved = json.loads(path.read_text(encoding="utf-8"))
        self._counters = _Counters(saved["x12"]["interchange_control"], saved["x12"]["group_control"])
        self._logs.processed_interchanges = list(saved["x12"]["processed_interchanges"])
        self._logs.files_seen = [FileRecord(**record) for record in saved["files_seen"]]
        self._logs.files_written = [FileRecord(**record) for record in saved["files_written"]]

    # --- logs ------------------------------------------------------------------------------------------

    def _note(self, kind: str, details: dict[str, Any]) -> None:
        position = self._logs.events[-1]["position"] + 1 if self._logs.events else 0
        self._logs.events.append(
            {"position": position, "at": self._clock().isoformat(), "kind": kind, **details}
        )
        del self._logs.events[:-_EVENT_LOG_SIZE]

    def _file_seen(self, name: str, outcome: str, detail: str) -> None:
        self._logs.files_seen.append(FileRecord(name, self._clock().isoformat(), outcome, detail))
        del self._logs.files_seen[:-_FILE_LOG_SIZE]

    def _move(self, path: Path, folder: Path) -> None:
        target = folder / path.name
        if target.exists():
            # The hub reused a name (a resend): keep both, the older one under a suffixed name.
            target = folder / f"{path.stem}.{self._clock().strftime('%Y%m%d%H%M%S%f')}{path.suffix}"
        os.replace(path, target)


def _malformed(data: bytes, malformation: Malformation) -> bytes:
    """``data`` broken the way the knob asks: cut in the middle, SE01 off by one, or no X12 at all."""
    if malformation == "truncate":
        return data[: len(data) // 2]
    if malformation == "bad-counts":
        # The sandbox writes with "*" between elements (the codec's default delimiters).
        broken, count = re.subn(rb"SE\*(\d+)\*", lambda match: b"SE*%d*" % (int(match[1]) + 1), data, count=1)
        if count != 1:
            raise ValueError("bad-counts: the interchange has no SE segment to miscount")
        return broken
    return b"Warehouse file export failed: disk quota exceeded\r\n\x00\x01\x02 PARTIAL DUMP\n"


def _jsonable(value: Any) -> dict[str, Any]:
    if not is_dataclass(value) or isinstance(value, type):
        raise TypeError(f"expected a dataclass value, got {type(value).__name__}")
    return _plain(asdict(value))  # type: ignore[no-any-return]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def hub_settings_toml(
    *,
    key: str,
    name: str,
    account: str,
    host: str,
    port: int,
    username: str,
    password: str,
    known_hosts_file: Path,
    partner: X12PartnerSettings,
) -> str:
    """The ``[warehouses.<key>]`` block a hub needs to talk to this sandbox, ready to paste."""

    def text(value: str) -> str:
        return json.dumps(value)

    return "\n".join(
        [
            f"[warehouses.{key}]",
            f"name = {text(name)}",
            f"accounts = [{text(account)}]",
            'connector = "x12"',
            "",
            f"[warehouses.{key}.sftp]",
            f"host = {text(host)}",
            f"port = {port}",
            f"username = {text(username)}",
            f"password = {text(password)}",
            f"known_hosts_file = {text(str(known_hosts_file))}",
            "",
            f"[warehouses.{key}.x12]",
            f"version = {text(partner.version)}",
            f"sender_qualifier = {text(partner.sender_qualifier)}",
            f"sender_id = {text(partner.sender_id.strip())}",
            f"receiver_qualifier = {text(partner.receiver_qualifier)}",
            f"receiver_id = {text(partner.receiver_id.strip())}",
            f"usage = {text(partner.usage)}",
            f"tracking_location = {text(partner.tracking_location)}",
            "# The sandbox renames its files into place: complete as soon as listed. Poll often to rehearse.",
            "stable_seconds = 0",
            "poll_interval_seconds = 5",
            "",
            f"[warehouses.{key}.folders]",
            'outbound = "/in"',
            'inbound = "/out"',
            'archive = "/out/archive"',
            'error = "/out/error"',
            "",
        ]
    )
