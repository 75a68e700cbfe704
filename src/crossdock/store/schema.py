"""The hub's own tables (the job engine keeps its tables apart and migrates them itself).

Every table is created by an Alembic migration in ``migrations/versions``; this module is the description
the code queries through, and a test checks that the two agree.
"""

from __future__ import annotations

import sqlalchemy as sa

from crossdock.store.types import JsonDocument, UtcDateTime, utc_now

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

# Identifiers that grow without bound are 64-bit; SQLite only auto-increments an INTEGER PRIMARY KEY.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", sa.String(63), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False, default=utc_now),
)

shops = sa.Table(
    "shops",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("account_id", sa.String(63), sa.ForeignKey("accounts.id"), nullable=False, index=True),
    sa.Column("domain", sa.String(255), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False, default=utc_now),
    # Set while a job publishing this shop's order statuses is queued: status changes in between join it.
    sa.Column("status_publish_pending", sa.Boolean, nullable=False, default=False),
    # Whether a job that fulfils the shop's shipments in Shopify is queued (flows.order_progress).
    sa.Column("fulfil_pending", sa.Boolean, nullable=False, default=False),
)

warehouses = sa.Table(
    "warehouses",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(63), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("connector", sa.String(50), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False, default=utc_now),
    # Set while a job sending this warehouse's new orders is queued: orders routed in between join it.
    sa.Column("dispatch_pending", sa.Boolean, nullable=False, default=False),
)

# A 3PL site can serve several brands; every flow still runs inside one account.
account_warehouses = sa.Table(
    "account_warehouses",
    metadata,
    sa.Column("account_id", sa.String(63), sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("warehouse_id", sa.Integer, sa.ForeignKey("warehouses.id"), primary_key=True),
)

inbox = sa.Table(
    "inbox",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("account_id", sa.String(63), sa.ForeignKey("accounts.id"), nullable=True, index=True),
    sa.Column("source", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(100), nullable=False),
    sa.Column("dedupe_key", sa.String(255), nullable=False),
    sa.Column("headers", JsonDocument, nullable=False, default=dict),
    sa.Column("payload", sa.LargeBinary, nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("state", sa.String(20), nullable=False, default="received"),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("processed_at", UtcDateTime(), nullable=True),
    # Stored without its processing job: the inbox relay (flows/inbox_relay.py) enqueues one and clears it.
    sa.Column("awaits_job", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
    sa.UniqueConstraint("source", "dedupe_key"),
    sa.CheckConstraint("state IN ('received', 'processing', 'processed', 'ignored', 'failed')", name="state"),
    sa.Index(None, "state", "received_at"),
    sa.Index(
        "ix_inbox_awaits_job",
        "id",
        postgresql_where=sa.text("awaits_job"),
        sqlite_where=sa.text("awaits_job"),
    ),
)

outbound_calls = sa.Table(
    "outbound_calls",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("account_id", sa.String(63), sa.ForeignKey("accounts.id"), nullable=True, index=True),
    sa.Column("target", sa.String(200), nullable=False),
    sa.Column("operation", sa.String(100), nullable=False),
    sa.Column("idempotency_key", sa.String(255), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("request_summary", JsonDocument, nullable=False, default=dict),
    sa.Column("response_summary", JsonDocument, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("duration_ms", sa.Float, nullable=True),
    sa.Column("job_id", sa.String(255), nullable=True),
    sa.Column("started_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("finished_at", UtcDateTime(), nullable=True),
    # What the call was about, when it was about one thing (an order's Shopify GID): the order's page lists
    # the calls made for it.
    sa.Column("subject", sa.String(255), nullable=True, index=True),
    sa.UniqueConstraint("idempotency_key", "attempt"),
    sa.CheckConstraint(
        "status IN ('in_flight', 'succeeded', 'retriable_error', 'fatal_error')", name="status"
    ),
    sa.Index(None, "target", "started_at"),
)

order_events = sa.Table(
    "order_events",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("account_id", sa.String(63), sa.ForeignKey("accounts.id"), nullable=False),
    # The orders table arrives with the order flow; until then the subject is the order's reference.
    sa.Column("order_ref", sa.String(255), nullable=False),
    sa.Column("kind", sa.String(100), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("data", JsonDocument, nullable=False, default=dict),
    sa.Column("inbox_id", BigId, sa.ForeignKey("inbox.id"), nullable=True),
    sa.Column("job_id", sa.String(255), nullable=True),
    sa.Column("occurred_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.Index(None, "account_id", "order_ref", "occurred_at"),
)

exceptions = sa.Table(
    "exceptions",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("account_id", sa.String(63), sa.ForeignKey("accounts.id"), nullable=True, index=True),
    sa.Column("type", sa.String(63), nullable=False),
    sa.Column("severity", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, default="open"),
    sa.Column("subject_type", sa.String(63), nullable=False),
    sa.Column("subject_id", sa.String(255), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("details", JsonDocument, nullable=False, default=dict),
    sa.Column("actions", JsonDocument, nullable=False, default=list),
    sa.Column("occurrences", sa.Integer, nullable=False, default=1),
    sa.Column("first_seen_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("last_seen_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("closed_at", UtcDateTime(), nullable=True),
    sa.Column("closed_by", sa.String(200), nullable=True),
    sa.CheckConstraint("severity IN ('info', 'warning', 'error', 'critical')", name="severity"),
    sa.CheckConstraint("status IN ('open', 'resolved', 'ignored')", name="status"),
    sa.Index(None, "status", "last_seen_at"),
)

# One open exception per type, subject and account: a repeat counts an occurrence on it, even when two
# transactions raise the same problem at the same instant (the second one waits, then finds the first).
sa.Index(
    "uq_exceptions_open_subject",
    exceptions.c.type,
    exceptions.c.subject_type,
    exceptions.c.subject_id,
    sa.func.coalesce(exceptions.c.account_id, ""),
    unique=True,
    sqlite_where=exceptions.c.status == "open",
    postgresql_where=exceptions.c.status == "open",
)

sync_cursors = sa.Table(
    "sync_cursors",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("account_id", sa.String(63), sa.ForeignKey("accounts.id"), nullable=True),
    sa.Column("source", sa.String(100), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("value", sa.String(255), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False, default=utc_now, onupdate=utc_now),
    sa.UniqueConstraint("source", "name"),
)

# One row per hub process that runs jobs: lets a restarted process take back its own identity (and so
# resume its interrupted jobs) and shows which executors stopped heart-beating with work still pending.
executors = sa.Table(
    "executors",
    metadata,
    sa.Column("executor_id", sa.String(200), primary_key=True),
    sa.Column("hostname", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("version", sa.String(50), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("last_seen_at", UtcDateTime(), nullable=False),
    sa.Column("stopped_at", UtcDateTime(), nullable=True),
)

# The locations a shop reported when it was last connected (`crossdock shopify connect`).
shop_locations = sa.Table(
    "shop_locations",
    metadata,
    sa.Column("shop_id", sa.Integer, sa.ForeignKey("shops.id"), primary_key=True),
    sa.Column("location_id", sa.String(100), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("fulfills_online_orders", sa.Boolean, nullable=False),
    sa.Column("is_fulfillment_service", sa.Boolean, nullable=False),
    sa.Column("address", JsonDocument, nullable=False, default=dict),
    sa.Column("updated_at", UtcDateTime(), nullable=False, default=utc_now),
)

# The SKU registry: one row per sellable SKU of an account (the product master the warehouses know).
skus = sa.Table(
    "skus",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("account_id", sa.String(63), sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("sku", sa.String(255), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False, default="simple"),
    sa.Column("barcode", sa.String(255), nullable=True),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("updated_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.UniqueConstraint("account_id", "sku"),
    sa.CheckConstraint("kind IN ('simple', 'bundle')", name="kind"),
)

# Where each SKU is sold: the variant and inventory item that carry it in each shop of the account.
sku_variants = sa.Table(
    "sku_variants",
    metadata,
    sa.Column("shop_id", sa.Integer, sa.ForeignKey("shops.id"), primary_key=True),
    sa.Column("variant_id", sa.String(100), primary_key=True),
    sa.Column("sku_id", sa.Integer, sa.ForeignKey("skus.id"), nullable=False, index=True),
    sa.Column("inventory_item_id", sa.String(100), nullable=False),
    sa.Column("product_id", sa.String(100), nullable=False),
    sa.Column("product_title", sa.String(500), nullable=False),
    sa.Column("variant_title", sa.String(500), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.UniqueConstraint("shop_id", "inventory_item_id"),
)

# Orders as the hub knows them: the newest Shopify version received (source_version = Shopify's
# updatedAt), in canonical form. An input carrying an older version is recorded on the timeline and skipped.
orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("account_id", sa.String(63), sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("shop_id", sa.Integer, sa.ForeignKey("shops.id"), nullable=False),
    sa.Column("shopify_order_id", sa.String(100), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("source_version", UtcDateTime(), nullable=False),
    sa.Column("status", sa.String(30), nullable=False, default="received"),
    # The whole canonical state (status, holds, the status a pending cancellation was asked from).
    sa.Column("state", JsonDocument, nullable=True),
    # The status last written on the Shopify order (its crossdock.status metafield); differs while due.
    sa.Column("published_status", sa.String(30), nullable=True),
    # When the state last changed, and when a status was last written to Shopify: the statuses flow's lag.
    sa.Column("state_changed_at", UtcDateTime(), nullable=True),
    sa.Column("status_published_at", UtcDateTime(), nullable=True),
    sa.Column("document", JsonDocument, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("updated_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.UniqueConstraint("shop_id", "shopify_order_id"),
    sa.Index(None, "account_id", "name"),
)

# A leaky-bucket rate budget shared by every process that calls one external API with one credential
# (a Shopify shop): the database is the one thing all of them share.
rate_budgets = sa.Table(
    "rate_budgets",
    metadata,
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("capacity", sa.Float, nullable=False),
    sa.Column("restore_rate", sa.Float, nullable=False),
    sa.Column("available", sa.Float, nullable=False),
    # Seconds since the epoch at which `available` was true; a float keeps sub-millisecond precision on
    # both back ends, which a timestamp column does not on SQLite.
    sa.Column("as_of", sa.Float, nullable=False),
)

# X12 control numbers per trading partner (one partner per warehouse): each interchange and group the hub
# writes takes the next number, in the transaction that records the document, so numbers are unique and
# increasing even with several processes writing.
x12_control_numbers = sa.Table(
    "x12_control_numbers",
    metadata,
    sa.Column("warehouse_id", sa.Integer, sa.ForeignKey("warehouses.id"), primary_key=True),
    sa.Column("last_interchange", sa.BigInteger, nullable=False, default=0),
    sa.Column("last_group", sa.BigInteger, nullable=False, default=0),
)

# Every X12 document the hub sends (940, 180, 997), recorded with its bytes before it is uploaded: the
# idempotency key makes a repeated send upload the same file again instead of writing a new one, and the
# 997 that acknowledges it is matched by group control number.
x12_outbound_documents = sa.Table(
    "x12_outbound_documents",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("warehouse_id", sa.Integer, sa.ForeignKey("warehouses.id"), nullable=False),
    sa.Column("account_id", sa.String(63), sa.ForeignKey("accounts.id"), nullable=True),
    sa.Column("idempotency_key", sa.String(255), nullable=False),
    sa.Column("set_code", sa.String(3), nullable=False),
    # The warehouse order or return the document is about (None for a 997).
    sa.Column("subject_key", sa.String(255), nullable=True),
    sa.Column("purpose", sa.String(10), nullable=True),
    sa.Column("interchange_control", sa.BigInteger, nullable=False),
    sa.Column("group_control", sa.BigInteger, nullable=False),
    sa.Column("file_name", sa.String(255), nullable=False),
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("uploaded_at", UtcDateTime(), nullable=True),
    sa.Column("upload_attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text, nullable=True),
    # What the partner's 997 said: accepted, accepted_with_errors, rejected; None while none arrived.
    sa.Column("ack_status", sa.String(30), nullable=True),
    sa.Column("ack_detail", JsonDocument, nullable=True),
    sa.Column("acknowledged_at", UtcDateTime(), nullable=True),
    sa.UniqueConstraint("warehouse_id", "idempotency_key"),
    sa.UniqueConstraint("warehouse_id", "interchange_control"),
    sa.Index(None, "warehouse_id", "group_control"),
    sa.Index(None, "ack_status", "uploaded_at"),
)

# The canonical events read from each stored warehouse document, in document order: the journal the order,
# inventory and returns flows consume. (inbox_id, position) makes re-reading a document record nothing new.
warehouse_events = sa.Table(
    "warehouse_events",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("warehouse_id", sa.Integer, sa.ForeignKey("warehouses.id"), nullable=False),
    sa.Column("inbox_id", BigId, sa.ForeignKey("inbox.id"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(50), nullable=False),
    sa.Column("order_key", sa.String(255), nullable=True),
    sa.Column("sku", sa.String(255), nullable=True),
    sa.Column("source_kind", sa.String(50), nullable=False),
    sa.Column("source_reference", sa.String(255), nullable=False),
    sa.Column("data", JsonDocument, nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.UniqueConstraint("inbox_id", "position"),
    sa.Index(None, "warehouse_id", "order_key"),
    sa.Index(None, "warehouse_id", "kind", "occurred_at"),
)

# The part of an order sent to one warehouse: the canonical WarehouseOrder as sent (``document``), keyed by
# ``order_key`` (the idempotency key the warehouse sees, at most 22 characters for X12 W05-02), with the
# warehouse's own status of it. One row per order and warehouse; written before anything is sent.
warehouse_orders = sa.Table(
    "warehouse_orders",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("account_id", sa.String(63), sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("order_id", BigId, sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("warehouse_id", sa.Integer, sa.ForeignKey("warehouses.id"), nullable=False),
    sa.Column("order_key", sa.String(22), nullable=False),
    sa.Column("status", sa.String(30), nullable=False),
    sa.Column("document", JsonDocument, nullable=False),
    sa.Column("warehouse_reference", sa.String(100), nullable=True),
    sa.Column("sent_at", UtcDateTime(), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("updated_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.UniqueConstraint("warehouse_id", "order_key"),
    sa.UniqueConstraint("order_id", "warehouse_id"),
)

# Each shipment a warehouse reported (a Shipped event), once: (warehouse, shipment id) dedupes a 945 read
# twice. ``fulfillment_id`` is the Shopify fulfillment created for it, set once Shopify answered.
shipments = sa.Table(
    "shipments",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("account_id", sa.String(63), sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("warehouse_order_id", BigId, sa.ForeignKey("warehouse_orders.id"), nullable=False, index=True),
    sa.Column("warehouse_id", sa.Integer, sa.ForeignKey("warehouses.id"), nullable=False),
    sa.Column("shipment_id", sa.String(100), nullable=False),
    sa.Column("document", JsonDocument, nullable=False),
    sa.Column("shipped_at", UtcDateTime(), nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("fulfillment_id", sa.String(100), nullable=True),
    sa.Column("fulfilled_at", UtcDateTime(), nullable=True),
    # Waiting for its Shopify fulfillment (the shop's fulfilling job takes it, or gives it a job of its own).
    sa.Column("fulfil_pending", sa.Boolean, nullable=False, default=False, index=True),
    sa.UniqueConstraint("warehouse_id", "shipment_id"),
)

# Bundles: a SKU sold in Shopify that warehouses know as its components (quantity of each per bundle).
bundle_components = sa.Table(
    "bundle_components",
    metadata,
    sa.Column("account_id", sa.String(63), sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("bundle_sku", sa.String(255), primary_key=True),
    sa.Column("component_sku", sa.String(255), primary_key=True),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.CheckConstraint("quantity > 0", name="quantity_positive"),
)

# Another name of a registered SKU (a typo in Shopify, a legacy code): order lines carrying the alias are
# sent under the SKU.
sku_aliases = sa.Table(
    "sku_aliases",
    metadata,
    sa.Column("account_id", sa.String(63), sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("alias", sa.String(255), primary_key=True),
    sa.Column("sku", sa.String(255), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False, default=utc_now),
)

# What each warehouse last reported of each SKU (snapshots replace, deltas add): the inventory flow's input.
# ``as_of`` orders reports; ``counted_at`` is when the warehouse counted the figure the value starts from.
stock_positions = sa.Table(
    "stock_positions",
    metadata,
    sa.Column("warehouse_id", sa.Integer, sa.ForeignKey("warehouses.id"), primary_key=True),
    sa.Column("sku", sa.String(255), primary_key=True),
    sa.Column("available", sa.Integer, nullable=False),
    sa.Column("as_of", UtcDateTime(), nullable=False),
    sa.Column("counted_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False, default=utc_now),
)

# Every change of a stock position, with the document that caused it.
stock_ledger = sa.Table(
    "stock_ledger",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("warehouse_id", sa.Integer, sa.ForeignKey("warehouses.id"), nullable=False),
    sa.Column("sku", sa.String(255), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("change", sa.Integer, nullable=False),
    sa.Column("available_after", sa.Integer, nullable=False),
    sa.Column("reason", sa.String(100), nullable=True),
    sa.Column("source_kind", sa.String(50), nullable=False),
    sa.Column("source_reference", sa.String(255), nullable=False),
    sa.Column("journal_id", BigId, sa.ForeignKey("warehouse_events.id"), nullable=True),
    sa.Column("as_of", UtcDateTime(), nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.UniqueConstraint("journal_id", "sku"),
    sa.Index(None, "warehouse_id", "sku", "id"),
)

# Units of dispatched warehouse orders the warehouse may not have counted yet (released when shipped or
# cancelled): deducted from what the warehouse reports until a count taken after them arrives.
stock_reservations = sa.Table(
    "stock_reservations",
    metadata,
    sa.Column("warehouse_order_id", BigId, sa.ForeignKey("warehouse_orders.id"), primary_key=True),
    sa.Column("sku", sa.String(255), primary_key=True),
    sa.Column("warehouse_id", sa.Integer, sa.ForeignKey("warehouses.id"), nullable=False),
    sa.Column("units", sa.Integer, nullable=False),
    sa.Column("reserved_at", UtcDateTime(), nullable=False),
    sa.Column("released_at", UtcDateTime(), nullable=True),
    sa.Index(None, "warehouse_id", "sku"),
)

# Whether a recompute of a SKU's available-to-sell (inventory.recompute) is asked for and not yet begun:
# changes made while one waits ride on it instead of queueing a job each. ``generation`` counts the jobs asked
# for, and names the next one.
stock_recompute_requests = sa.Table(
    "stock_recompute_requests",
    metadata,
    sa.Column("account_id", sa.String(63), sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("sku", sa.String(255), primary_key=True),
    sa.Column("pending", sa.Boolean, nullable=False),
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("cause", sa.String(255), nullable=False),
    sa.Column("requested_at", UtcDateTime(), nullable=False),
)

# The available quantity the hub last set (or read) at each Shopify location for each inventory item: what a
# push compares against (changeFromQuantity), and how the echo of the hub's own write is recognised.
shopify_stock_levels = sa.Table(
    "shopify_stock_levels",
    metadata,
    sa.Column("shop_id", sa.Integer, sa.ForeignKey("shops.id"), primary_key=True),
    sa.Column("location_id", sa.String(100), primary_key=True),
    sa.Column("inventory_item_id", sa.String(100), primary_key=True),
    sa.Column("sku", sa.String(255), nullable=False),
    # What Shopify holds as far as the hub knows (None: never read nor set), and what the hub wants there.
    sa.Column("available", sa.Integer, nullable=True),
    sa.Column("wanted", sa.Integer, nullable=False),
    sa.Column("reason", sa.String(255), nullable=True),
    sa.Column("pushed_at", UtcDateTime(), nullable=True),
    sa.Column("read_at", UtcDateTime(), nullable=True),
    sa.Column("updated_at", UtcDateTime(), nullable=False, default=utc_now),
    # A value someone else set in Shopify, seen and not judged yet (inventory.verify_level): nothing is pushed
    # at this level meanwhile, whatever a recompute wants there.
    sa.Column("judging", sa.Integer, nullable=True),
    # The push takes a shop's due levels oldest change first.
    sa.Index(None, "shop_id", "updated_at"),
)

# People who log in to the dashboard. A user of an account sees and acts on that account only; a user without
# one operates the hub and sees every account.
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("account_id", sa.String(63), sa.ForeignKey("accounts.id"), nullable=True, index=True),
    # argon2id, in the PHC string format that carries its own salt and parameters.
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("last_login_at", UtcDateTime(), nullable=True),
    sa.Column("disabled_at", UtcDateTime(), nullable=True),
)

# Bearer tokens for machines calling /api. Only a hash of each token is kept: the token itself is shown once,
# when created. The prefix names a token in lists without revealing it.
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("account_id", sa.String(63), sa.ForeignKey("accounts.id"), nullable=True, index=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("last_used_at", UtcDateTime(), nullable=True),
    sa.Column("revoked_at", UtcDateTime(), nullable=True),
)

# One row per alert message a rule sends on one channel, keyed by where the exceptions it covers start (the
# channel's cursor when the message was claimed). The job holding a row in 'sending' is the only one that may
# send it: two jobs never send the same exceptions, and a job run again finds what its first run did.
alert_deliveries = sa.Table(
    "alert_deliveries",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("rule", sa.String(63), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    # The message covers the exceptions last seen in [seen_from, seen_until).
    sa.Column("seen_from", UtcDateTime(), nullable=False),
    sa.Column("seen_until", UtcDateTime(), nullable=False),
    sa.Column("exception_count", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    # The key of the job that claimed it (the same for every attempt of that job).
    sa.Column("claimed_by", sa.String(255), nullable=False),
    sa.Column("claimed_at", UtcDateTime(), nullable=False),
    sa.Column("finished_at", UtcDateTime(), nullable=True),
    sa.UniqueConstraint("rule", "channel", "seen_from"),
    sa.CheckConstraint("channel IN ('webhook', 'email')", name="channel"),
    sa.CheckConstraint("status IN ('sending', 'sent', 'failed', 'dropped')", name="status"),
)

# Customer returns the hub follows, one row per Shopify return: the lines it authorises (``items``, SKUs as
# the warehouses know them, empty until read from Shopify), the warehouse that shipped them and the RMA number
# it was told to expect (``rma_key``, unique per warehouse: its receipt names the return by it).
returns = sa.Table(
    "returns",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("account_id", sa.String(63), sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("shop_id", sa.Integer, sa.ForeignKey("shops.id"), nullable=False),
    sa.Column("order_id", BigId, sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("shopify_return_id", sa.String(100), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("items", JsonDocument, nullable=True),
    sa.Column("warehouse_id", sa.Integer, sa.ForeignKey("warehouses.id"), nullable=True),
    sa.Column("rma_key", sa.String(22), nullable=True),
    sa.Column("approved_at", UtcDateTime(), nullable=True),
    sa.Column("authorised_at", UtcDateTime(), nullable=True),
    sa.Column("received_at", UtcDateTime(), nullable=True),
    sa.Column("closed_at", UtcDateTime(), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("updated_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.UniqueConstraint("shop_id", "shopify_return_id"),
    sa.UniqueConstraint("warehouse_id", "rma_key"),
    sa.CheckConstraint(
        "status IN ('requested', 'approved', 'authorised', 'received', 'closed')", name="status"
    ),
)

# What a warehouse reported receiving against a return, one row per journaled receipt event (a 944): the
# journal entry makes a receipt applied twice count once.
return_receipts = sa.Table(
    "return_receipts",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("return_id", BigId, sa.ForeignKey("returns.id"), nullable=False, index=True),
    sa.Column("journal_id", BigId, sa.ForeignKey("warehouse_events.id"), nullable=False, unique=True),
    sa.Column("lines", JsonDocument, nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False, default=utc_now),
)

# Flow health reads the last hour of each flow (crossdock.store.flow_measures): when items completed, what was
# called.
sa.Index("ix_warehouse_orders_sent_at", warehouse_orders.c.sent_at)
sa.Index("ix_shipments_fulfilled_at", shipments.c.fulfilled_at)
sa.Index("ix_orders_status_published_at", orders.c.status_published_at)
sa.Index("ix_orders_status", orders.c.status)
sa.Index("ix_shopify_stock_levels_pushed_at", shopify_stock_levels.c.pushed_at)
sa.Index("ix_outbound_calls_operation_started_at", outbound_calls.c.operation, outbound_calls.c.started_at)
