"""``crossdock x12 inspect``: the JSON it prints for good and broken files, through typer's CliRunner."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from crossdock.cli import app
from crossdock.config import X12PartnerSettings
from crossdock.connectors.x12 import inspect as inspect_module
from crossdock.connectors.x12.codec import X12Error
from crossdock.connectors.x12.inspect import inspect_bytes, plain, set_reader
from crossdock.connectors.x12.model import FunctionalGroup, Interchange, TransactionSet

FIXTURES = Path(__file__).parent.parent / "fixtures" / "x12"
GOOD_940 = FIXTURES / "codec_940_4010.edi"


def invoke(*arguments: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(app, list(arguments))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, json.loads(result.stdout)


def test_prints_envelope_and_segments(tmp_path: Path) -> None:
    exit_code, document = invoke("x12", "inspect", str(GOOD_940))

    assert exit_code == 0
    assert document["file"] == str(GOOD_940)
    assert document["delimiters"] == {"element": "*", "component": ">", "segment": "~", "repetition": None}
    assert document["interchange"] == {
        "sender": {"qualifier": "ZZ", "identifier": "CROSSDOCK"},
        "receiver": {"qualifier": "ZZ", "identifier": "ACME3PL"},
        "control_number": "000000101",
        "version": "00401",
        "date": "261128",
        "time": "1200",
        "usage": "T",
        "acknowledgment_requested": False,
    }
    (group,) = document["groups"]
    assert (group["functional_id"], group["control_number"], group["version"]) == ("OW", "101", "004010")
    (transaction_set,) = group["transaction_sets"]
    assert (transaction_set["code"], transaction_set["control_number"]) == ("940", "0001")
    assert transaction_set["segments"][0] == ["W05", "N", "ORD1001", "PO1001"]
    assert transaction_set["segments"][6] == ["W01", "2", "EA", "", "VN", "SKU-1"]
    assert len(transaction_set["segments"]) == 10
    assert "error" not in document


def test_reads_the_set_with_the_registry_when_it_exists() -> None:
    exit_code, document = invoke("x12", "inspect", str(GOOD_940))
    reads_as = document["groups"][0]["transaction_sets"][0]["reads_as"]

    if set_reader() is None:
        assert reads_as is None
        assert "documents.registry is not installed" in document["reads_as_unavailable"]
    else:
        assert exit_code == 0
        assert reads_as["kind"] == "shipping_order"
        assert "reads_as_unavailable" not in document


def test_a_broken_envelope_exits_2_with_the_rule_and_what_could_be_read(tmp_path: Path) -> None:
    broken = tmp_path / "broken.edi"
    broken.write_bytes(GOOD_940.read_bytes().replace(b"SE*12*0001", b"SE*11*0001"))

    exit_code, document = invoke("x12", "inspect", str(broken))

    assert exit_code == 2
    assert document["error"] == {
        "rule": "segment-count",
        "message": "SE01 says 11 segments, the set has 12 (ST and SE included)",
        "segment_index": 14,
        "segment_tag": "SE",
        "element": 1,
        "excerpt": "SE*11*0001",
    }
    assert document["interchange"]["control_number"] == "000000101"
    assert document["delimiters"]["segment"] == "~"
    assert "groups" not in document


def test_a_truncated_file_exits_2_with_the_error_and_its_isa(tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.edi"
    data = GOOD_940.read_bytes()
    truncated.write_bytes(data[: data.index(b"N1*ST") + 4])

    exit_code, document = invoke("x12", "inspect", str(truncated))

    assert exit_code == 2
    assert set(document) == {"file", "delimiters", "interchange", "error"}
    assert document["interchange"]["control_number"] == "000000101"
    assert document["error"]["rule"] == "unterminated"
    assert (document["error"]["segment_index"], document["error"]["excerpt"]) == (5, "N1*S")


def test_a_file_without_isa_exits_2_with_the_error_only(tmp_path: Path) -> None:
    csv = tmp_path / "orders.csv"
    csv.write_bytes(b"order,sku\n1,A\n")

    exit_code, document = invoke("x12", "inspect", str(csv))

    assert exit_code == 2
    assert set(document) == {"file", "error"}
    assert document["error"]["rule"] == "no-isa"


def test_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["x12", "inspect", str(tmp_path / "nope.edi")])

    assert result.exit_code == 2
    # Rich wraps the message in a box as wide as the terminal: a long temporary path splits it.
    assert "does not exist" in " ".join(result.stderr.replace("│", " ").split())


# --- reads_as with a stand-in registry (the real one is another module's job) ----------------------------


class Purpose(Enum):
    NEW = "N"


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: Decimal


@dataclass(frozen=True)
class Reading:
    kind: str
    value: object


@dataclass(frozen=True)
class OrderSeen:
    order: str
    purpose: Purpose
    at: datetime
    lines: tuple[Line, ...]


def _partner() -> X12PartnerSettings:
    return X12PartnerSettings(sender_id="UNKNOWN", receiver_id="UNKNOWN")


def test_reads_as_is_the_value_as_plain_json() -> None:
    calls: list[tuple[str, str, str, str, str, str | None]] = []

    def read_set(
        transaction_set: TransactionSet,
        interchange: Interchange,
        group: FunctionalGroup,
        partner: X12PartnerSettings,
        *,
        warehouse: str,
        file_name: str | None,
    ) -> Reading:
        calls.append(
            (
                transaction_set.code,
                interchange.control_number,
                group.control_number,
                partner.sender_id,
                warehouse,
                file_name,
            )
        )
        value = OrderSeen(
            order=transaction_set.segments[0].element(2),
            purpose=Purpose.NEW,
            at=datetime(2026, 11, 28, 12, 0, tzinfo=UTC),
            lines=(Line("SKU-1", Decimal("2.50")),),
        )
        return Reading("shipping_order", value)

    inspection = inspect_bytes(
        GOOD_940.read_bytes(), file="in/x.edi", partner=_partner(), warehouse="west", read_set=read_set
    )

    assert inspection.exit_code == 0
    assert calls == [("940", "000000101", "101", "UNKNOWN", "west", "x.edi")]
    reads_as = inspection.document["groups"][0]["transaction_sets"][0]["reads_as"]
    assert reads_as == {
        "kind": "shipping_order",
        "type": "OrderSeen",
        "value": {
            "order": "ORD1001",
            "purpose": "N",
            "at": "2026-11-28T12:00:00+00:00",
            "lines": [{"sku": "SKU-1", "quantity": "2.50"}],
        },
    }
    assert json.loads(inspection.to_json()) == inspection.document


def test_a_set_the_reader_refuses_exits_2_pointing_at_its_st() -> None:
    def read_set(*_: object, **__: object) -> Reading:
        raise X12Error("missing-segment", "a 940 needs a W05", segment_tag="W05")

    inspection = inspect_bytes(
        GOOD_940.read_bytes(), file="x.edi", partner=_partner(), warehouse="unknown", read_set=read_set
    )

    assert inspection.exit_code == 2
    transaction_set = inspection.document["groups"][0]["transaction_sets"][0]
    assert transaction_set["reads_as"] is None
    assert transaction_set["error"] == {
        "rule": "missing-segment",
        "message": "a 940 needs a W05 (transaction set 940 0001)",
        "segment_index": 3,
        "segment_tag": "W05",
        "element": None,
        "excerpt": "ST*940*0001",
    }
    assert inspection.document["error"] == transaction_set["error"]
    assert transaction_set["segments"][0][0] == "W05"  # the segments are still shown


def test_a_reader_bug_is_not_hidden() -> None:
    def read_set(*_: object, **__: object) -> Reading:
        raise KeyError("W05")

    with pytest.raises(KeyError):
        inspect_bytes(
            GOOD_940.read_bytes(), file="x.edi", partner=_partner(), warehouse="w", read_set=read_set
        )


def test_plain_refuses_what_json_cannot_hold() -> None:
    assert plain({"a": (1, Decimal("1.0"), None, {"b"})}) == {"a": [1, "1.0", None, ["b"]]}
    with pytest.raises(TypeError, match="cannot show a object as JSON"):
        plain(object())


# --- --partner -------------------------------------------------------------------------------------------


CONFIG = """
[[accounts]]
id = "acme"
name = "Acme Outdoor"

[warehouses.west]
name = "West 3PL"
accounts = ["acme"]

[warehouses.west.sftp]
host = "127.0.0.1"
username = "hub"

[warehouses.west.x12]
sender_id = "CROSSDOCK"
receiver_id = "WEST3PL"
tracking_location = "N9"
"""


def test_partner_settings_come_from_the_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "crossdock.toml"
    config.write_text(CONFIG)
    seen: list[tuple[X12PartnerSettings, str]] = []

    def read_set(*arguments: Any, warehouse: str, file_name: str | None) -> Reading:
        seen.append((arguments[3], warehouse))
        return Reading("shipping_order", {"order": "ORD1001"})

    monkeypatch.setattr(inspect_module, "set_reader", lambda: read_set)

    exit_code, document = invoke(
        "--config", str(config), "x12", "inspect", str(GOOD_940), "--partner", "west"
    )

    assert exit_code == 0
    ((partner, warehouse),) = seen
    assert (partner.receiver_id, partner.tracking_location, warehouse) == ("WEST3PL", "N9", "west")
    assert document["groups"][0]["transaction_sets"][0]["reads_as"]["value"] == {"order": "ORD1001"}


def test_an_unknown_partner_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "crossdock.toml"
    config.write_text(CONFIG)

    result = CliRunner().invoke(
        app, ["--config", str(config), "x12", "inspect", str(GOOD_940), "--partner", "east"]
    )

    assert result.exit_code == 2
    assert "no warehouse 'east' in the configuration; known warehouses: west" in result.stderr
