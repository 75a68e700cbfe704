"""Start-up and shut-down of the hub in one process: database, migrations, accounts, job engine."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import structlog

from crossdock.config import Settings
from crossdock.jobs.engine import JobEngine, Role, migrate_job_tables
from crossdock.logs import register_secrets
from crossdock.store.engine import create_engine
from crossdock.store.migrate import upgrade_to_head
from crossdock.store.shops import DeclaredShop
from crossdock.store.unit_of_work import UnitOfWork
from crossdock.store.warehouses import DeclaredWarehouse

log = structlog.get_logger("crossdock")


@dataclass
class Hub:
    settings: Settings
    engine: sa.Engine
    jobs: JobEngine | None = None


def prepare_database(settings: Settings) -> sa.Engine:
    """Open the database, bring its schema to the latest migration, and mirror the declared accounts."""
    session_secret = settings.web.session_secret
    alerts = settings.alerts
    shop_secrets = [
        secret.get_secret_value()
        for shop in settings.shops.values()
        for secret in (shop.access_token, shop.app_secret)
        if secret is not None
    ]
    register_secrets(
        [
            sa.make_url(settings.database.url).password,
            session_secret.get_secret_value() if session_secret is not None else None,
            *shop_secrets,
            *(
                warehouse.sftp.password.get_secret_value()
                for warehouse in settings.warehouses.values()
                if warehouse.sftp.password is not None
            ),
            # A webhook URL is its own credential; httpx writes the URL of every request it sends at INFO.
            *(rule.webhook_url.get_secret_value() for rule in alerts.rules if rule.webhook_url is not None),
            alerts.smtp.password.get_secret_value() if alerts.smtp and alerts.smtp.password else None,
        ]
    )
    engine = create_engine(settings.database.url)
    upgrade_to_head(engine)
    migrate_job_tables(settings)
    with UnitOfWork(engine) as uow:
        uow.accounts.ensure((account.id, account.name) for account in settings.accounts)
        uow.shops.ensure(
            DeclaredShop(key=key, domain=shop.domain, account_id=shop.account)
            for key, shop in settings.shops.items()
        )
        uow.warehouses.ensure(
            DeclaredWarehouse(
                code=key,
                name=warehouse.name,
                connector=warehouse.connector,
                account_ids=tuple(warehouse.accounts),
            )
            for key, warehouse in settings.warehouses.items()
        )
        uow.commit()
    return engine


def start_hub(settings: Settings, *, role: Role | None) -> Hub:
    engine = prepare_database(settings)
    hub = Hub(settings=settings, engine=engine)
    if role is not None:
        hub.jobs = JobEngine(settings, engine, role)
        hub.jobs.start()
    log.info("hub started", database=settings.database.password_free_url, role=role)
    return hub


def stop_hub(hub: Hub) -> None:
    if hub.jobs is not None:
        hub.jobs.stop()
    hub.engine.dispose()
