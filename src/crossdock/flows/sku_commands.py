"""What an operator changes in an account's SKU mappings: an alias (`crossdock skus alias`), which sends the
orders it unblocks back to the order flow in the same transaction, and bundles read from a CSV file
(`crossdock bundles import`), checked whole before anything is stored."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from crossdock.flows.command_errors import CommandRefused
from crossdock.flows.order_dispatch import enqueue_advance
from crossdock.store.unit_of_work import UnitOfWork

UNKNOWN_SKU = "unknown_sku"
BUNDLE_HEADER = ("bundle_sku", "component_sku", "quantity")


def require_account(uow: UnitOfWork, account_id: str) -> None:
    known = uow.accounts.names()
    if account_id not in known:
        raise CommandRefused(
            f"no account {account_id!r} (declared accounts: {', '.join(sorted(known)) or 'none'})"
        )


def set_alias(uow: UnitOfWork, account_id: str, alias: str, sku: str) -> list[int]:
    """Record ``alias`` as another name of the registered ``sku``, and have every order of the account that
    waits on ``alias`` as an unknown SKU looked at again; returns those orders' ids. The caller commits: the
    alias and the jobs are written together or not at all."""
    alias, sku = alias.strip(), sku.strip()
    if not alias or not sku:
        raise CommandRefused("the alias and the SKU must not be empty")
    if alias == sku:
        raise CommandRefused(f"{alias} cannot be an alias of itself")
    require_account(uow, account_id)
    if not uow.sku_mappings.known(account_id, [sku]):
        raise CommandRefused(
            f"SKU {sku} is not registered for account {account_id} "
            "(crossdock shopify import-catalog SHOP registers a shop's SKUs)"
        )
    uow.sku_mappings.set_alias(account_id, alias, sku)
    waiting = sorted(
        int(record.subject_id)
        for record in uow.exceptions.open_about(type=UNKNOWN_SKU, subject_type="order")
        if record.account_id == account_id and alias in record.details.get("unknown_skus", [])
    )
    for order_id in waiting:
        enqueue_advance(uow, order_id, f"alias-{alias}")
    return waiting


def parse_bundles_csv(text: str) -> dict[str, dict[str, int]]:
    """Each bundle of the file with its components (SKU → units per bundle). Every row is checked before
    the answer; all problems are raised together, each naming its line, so one run shows all to fix."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or tuple(field.strip().lower() for field in header) != BUNDLE_HEADER:
        raise CommandRefused(
            f"line 1: the header must be {','.join(BUNDLE_HEADER)}, got {','.join(header or [])}"
        )
    bundles: dict[str, dict[str, int]] = {}
    seen_on: dict[tuple[str, str], int] = {}
    problems: list[str] = []
    for row in reader:
        line = reader.line_num
        if not any(field.strip() for field in row):
            continue
        if len(row) != len(BUNDLE_HEADER):
            problems.append(f"line {line}: expected 3 fields ({','.join(BUNDLE_HEADER)}), got {len(row)}")
            continue
        bundle, component, quantity_text = (field.strip() for field in row)
        row_problems = [
            f"line {line}: {name} is empty"
            for name, value in zip(BUNDLE_HEADER, row, strict=True)
            if not value.strip()
        ]
        if quantity_text and not (
            quantity_text.isascii() and quantity_text.isdigit() and int(quantity_text) > 0
        ):
            row_problems.append(
                f"line {line}: quantity must be a positive whole number, got {quantity_text!r}"
            )
        if bundle and bundle == component:
            row_problems.append(f"line {line}: bundle {bundle} lists itself as a component")
        if (bundle, component) in seen_on:
            row_problems.append(
                f"line {line}: component {component} of bundle {bundle} is already on line "
                f"{seen_on[bundle, component]}"
            )
        problems += row_problems
        if not row_problems:
            seen_on[bundle, component] = line
            bundles.setdefault(bundle, {})[component] = int(quantity_text)
    if problems:
        raise CommandRefused("the file was not imported:\n" + "\n".join(problems))
    if not bundles:
        raise CommandRefused("the file lists no bundle")
    return bundles


@dataclass(frozen=True)
class BundleImport:
    created: list[str]
    replaced: list[str]
    unchanged: list[str]
    # Components that are neither registered nor an alias of a registered SKU: an order of such a bundle
    # stops on unknown SKUs until they are.
    unregistered: list[str]


def import_bundles(uow: UnitOfWork, account_id: str, bundles: dict[str, dict[str, int]]) -> BundleImport:
    """Replace the components of each bundle of ``bundles``; other bundles of the account stay as they are.
    The caller commits."""
    require_account(uow, account_id)
    before = uow.sku_mappings.bundles(account_id)
    for bundle_sku, components in sorted(bundles.items()):
        uow.sku_mappings.replace_bundle(account_id, bundle_sku, components)
    aliases = uow.sku_mappings.aliases(account_id)
    targets = {aliases.get(sku, sku) for components in bundles.values() for sku in components}
    return BundleImport(
        created=sorted(bundle for bundle in bundles if bundle not in before),
        replaced=sorted(
            bundle for bundle in bundles if bundle in before and before[bundle] != bundles[bundle]
        ),
        unchanged=sorted(bundle for bundle in bundles if before.get(bundle) == bundles[bundle]),
        unregistered=sorted(targets - uow.sku_mappings.known(account_id, targets)),
    )


def import_summary(outcome: BundleImport, account_id: str) -> list[str]:
    total = len(outcome.created) + len(outcome.replaced) + len(outcome.unchanged)
    lines = [
        f"account {account_id}: {total} bundle(s) imported: {len(outcome.created)} new, "
        f"{len(outcome.replaced)} with new components, {len(outcome.unchanged)} unchanged"
    ]
    if outcome.unregistered:
        lines.append(
            f"warning: component(s) not registered for account {account_id}, orders of these bundles will "
            f"wait until they are: {', '.join(outcome.unregistered)}"
        )
    return lines


def bundle_listing(bundles: dict[str, dict[str, int]]) -> list[str]:
    lines = []
    for bundle_sku, components in sorted(bundles.items()):
        lines.append(bundle_sku)
        lines += [f"  {units} x {sku}" for sku, units in sorted(components.items())]
    lines.append(f"{len(bundles)} bundle(s)")
    return lines
