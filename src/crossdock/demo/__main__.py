"""``python -m crossdock.demo``: start the hub with a Shopify sandbox and an X12 3PL sandbox, place orders and
print one status line a second until the duration ends or Ctrl-C."""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

from crossdock.demo.config import SKUS, DemoConfig, WarehouseKnobs, choose_ports, write_demo_files
from crossdock.demo.processes import ChildFailed, Interrupted, Supervisor, start_processes
from crossdock.demo.status_line import HubProgress, status_line
from crossdock.demo.traffic import Traffic

# Written into every demo folder: only a folder that carries it is emptied by the next run, so a mistyped
# --folder never deletes someone's files.
MARKER = ".crossdock-demo"


class FolderRefused(Exception):
    pass


def prepare_folder(folder: Path) -> Path:
    """An empty ``folder``, created or emptied (when a previous demo made it)."""
    folder = folder.resolve()
    if folder.exists():
        if any(folder.iterdir()) and not (folder / MARKER).exists():
            raise FolderRefused(
                f"{folder} is not empty and was not made by the demo; choose another --folder"
            )
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("made by python -m crossdock.demo; emptied by its next run\n")
    # Keeps the demo's database, logs and throwaway secrets out of version control wherever it runs.
    (folder / ".gitignore").write_text("*\n")
    return folder


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m crossdock.demo",
        description="Start the hub, a Shopify sandbox and an X12 3PL sandbox, place orders at a steady rate "
        "and follow them to the warehouse and back to Shopify.",
    )
    parser.add_argument("--rate", type=float, default=1.0, help="orders placed per second (default 1)")
    parser.add_argument(
        "--duration", type=float, default=None, help="seconds of traffic, then stop (default: until Ctrl-C)"
    )
    parser.add_argument(
        "--folder", type=Path, default=Path(".demo"), help="working folder, emptied each run (default .demo)"
    )
    options = parser.parse_args(argv)
    if options.rate <= 0:
        parser.error("--rate must be above 0")
    if options.duration is not None and options.duration <= 0:
        parser.error("--duration must be above 0")
    return options


def describe(config: DemoConfig) -> str:
    folder = config.folder
    return (
        f"crossdock demo in {folder}\n"
        f"  hub:              {config.hub_url} (log {folder / 'hub.log'})\n"
        f"  Shopify sandbox:  {config.shop_url} (log {folder / 'shopify.log'})\n"
        f"  X12 3PL sandbox:  sftp port {config.ports.sftp}, control {config.control_url}/_sandbox/state "
        f"(log {folder / '3pl.log'})\n"
        f"  hub CLI:          set -a; . {config.environment_file}; set +a; "
        f"crossdock --config {config.hub_config} orders --help"
    )


def main(argv: list[str] | None = None) -> int:
    options = parse_arguments(argv)
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    try:
        folder = prepare_folder(options.folder)
    except FolderRefused as refused:
        print(f"crossdock demo: {refused}", file=sys.stderr)
        return 2
    config = write_demo_files(folder, choose_ports())
    supervisor = Supervisor(folder, config.hub_environment(), stopping)
    print(f"starting the Shopify sandbox, the X12 3PL sandbox and the hub in {folder} …", flush=True)
    try:
        start_processes(config, WarehouseKnobs(), supervisor)
        print(describe(config), flush=True)
        return run_traffic(config, options, supervisor, stopping)
    except Interrupted:
        return 0
    except ChildFailed as failed:
        print(f"crossdock demo: {failed}; stopping the others", file=sys.stderr)
        tail = failed.log_tail()
        if tail:
            print(f"last lines of {failed.log}:\n{tail}", file=sys.stderr)
        return 1
    finally:
        supervisor.stop_all()
        print(f"stopped; logs and the hub's database are in {folder}", flush=True)


def run_traffic(
    config: DemoConfig, options: argparse.Namespace, supervisor: Supervisor, stopping: threading.Event
) -> int:
    traffic = Traffic(config.shop_url, config.access_token, SKUS, rate=options.rate)
    progress = HubProgress(config.database_url)
    started = time.monotonic()
    traffic.start()
    try:
        while True:
            # Ticks fall on whole seconds since the start, however long a reading takes.
            elapsed = time.monotonic() - started
            if stopping.wait(1.0 - elapsed % 1.0):
                break
            supervisor.check_alive()
            elapsed = time.monotonic() - started
            print(status_line(elapsed, traffic.placed, progress.read()), flush=True)
            if options.duration is not None and elapsed >= options.duration:
                break
    finally:
        traffic.stop()
        progress.close()
    if traffic.failures:
        print(
            f"{traffic.failures} order request(s) failed, the last: {traffic.last_failure}", file=sys.stderr
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
