"""`doorstep`: the one console script (SPEC §5 CLI)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "doorstep.settings")
    import django

    django.setup()


def _manage(*args: str, **options: Any) -> None:
    from django.core.management import call_command

    call_command(*args, **options)


def cmd_migrate(ns: argparse.Namespace) -> int:
    _django()
    _manage("migrate", "--no-input", verbosity=ns.verbosity)
    return 0


def cmd_demo(ns: argparse.Namespace) -> int:
    # A local demo runs over plain HTTP.
    os.environ.setdefault("DOORSTEP_HTTPS", "0")
    _django()
    _manage("migrate", "--no-input", verbosity=0)
    from doorstep.demo import load_demo

    summary = load_demo(seed=ns.seed, weeks=ns.weeks, reset=ns.reset, scale=ns.scale)
    print(summary)
    if ns.no_serve:
        return 0
    threads = int(os.environ.get("DOORSTEP_THREADS", "1"))
    return _serve(ns.port, ns.workers, banner=True, with_worker=True, threads=threads)


def cmd_serve(ns: argparse.Namespace) -> int:
    _django()
    return _serve(ns.port, ns.workers, bind=ns.bind, threads=ns.threads)


def _start_worker() -> Any:
    """`doorstep worker` as a child process, so the demo's clocks move while it is watched."""
    import signal
    import subprocess

    def unwind(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    # Until gunicorn installs its own handlers, SIGTERM must still unwind through the
    # `finally` that stops the worker, or the worker would outlive the demo.
    signal.signal(signal.SIGTERM, unwind)
    return subprocess.Popen([sys.executable, "-m", "doorstep.cli", "worker"])


def _stop_worker(child: Any, owner: int) -> None:
    if os.getpid() != owner:
        return  # a gunicorn worker (a fork of the server) leaving: the worker is not its own
    child.terminate()  # SIGTERM: the worker finishes its batch and exits
    try:
        child.wait(timeout=15)
    except Exception:  # noqa: BLE001 - a worker that does not stop in time is killed
        child.kill()
        child.wait()


def _serve(
    port: int,
    workers: int,
    banner: bool = False,
    bind: str = "127.0.0.1",
    with_worker: bool = False,
    threads: int = 1,
) -> int:
    from django.conf import settings

    from doorstep.core.static import collect_if_changed

    collect_if_changed()
    url = f"http://{'127.0.0.1' if bind in ('0.0.0.0', '::') else bind}:{port}/"
    owner = os.getpid()
    child = _start_worker() if with_worker else None
    try:
        if banner:
            _banner(url, child)
        _run_gunicorn(settings, bind, port, workers, threads)
    finally:
        if child is not None:
            _stop_worker(child, owner)
    return 0


def _banner(url: str, child: Any) -> None:
    print(f"\nDoorstep 上门 is running at {url}")
    print("Logins (password demo1234): admin, manager, dispatcher, operator, quality,")
    print("  technicians tech01 … tech12 (tech01–tech08 urban 拱墅, tech09–tech12 township 桐庐)")
    if child is not None:
        print(
            f"A worker is running beside it (pid {child.pid}): clocks move, warnings and "
            "escalations are raised and messages go out (printed here) while you watch."
        )
    print("Press Ctrl+C to stop.\n", flush=True)


def _run_gunicorn(settings: Any, bind: str, port: int, workers: int, threads: int = 1) -> None:
    from gunicorn.app.base import BaseApplication

    class App(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{bind}:{port}")
            self.cfg.set("workers", workers)
            # More than one thread: gunicorn's gthread workers. Measured under `bench load` on
            # 2 cores, one thread per process served more (the Python is CPU-bound; threads
            # of one process take turns on it), so the default stays at 1.
            self.cfg.set("threads", threads)
            self.cfg.set("accesslog", os.environ.get("DOORSTEP_ACCESS_LOG", None))
            self.cfg.set("timeout", 60)
            self.cfg.set("graceful_timeout", 10)
            self.cfg.set("keepalive", 5)

        def load(self) -> Any:
            from doorstep.wsgi import application

            return application

    _ = settings.SECRET_KEY  # create the key file once, before the workers fork
    App().run()  # Ctrl+C or SIGTERM: gunicorn stops its workers and exits with SystemExit


def cmd_verify_history(ns: argparse.Namespace) -> int:
    _django()
    from doorstep.orders.history import verify_history
    from doorstep.standards.integrity import verify_ledger, verify_policy_history

    problems = 0
    for problem in verify_history():
        problems += 1
        print(f"ALTERED: {problem}", file=sys.stderr)
    for found in (*verify_ledger(), *verify_policy_history()):
        problems += 1
        print(f"ALTERED: {found}", file=sys.stderr)
    if problems:
        print(f"verify-history: {problems} altered place(s)", file=sys.stderr)
        return 1
    from doorstep.orders.models import OrderEvent, WorkOrder
    from doorstep.standards.models import Penalty, PenaltyChange, PolicyChange

    print(
        f"verify-history: {WorkOrder.objects.count()} orders, "
        f"{OrderEvent.objects.count()} events, {Penalty.raw.count()} ledger entries, "
        f"{PenaltyChange.objects.count()} ledger changes, "
        f"{PolicyChange.objects.count()} policy changes, all intact"
    )
    return 0


def cmd_backup(ns: argparse.Namespace) -> int:
    _django()
    from pathlib import Path

    from doorstep.ops.backup import BackupError, backup

    try:
        path, m = backup(Path(ns.path) if ns.path else None)
    except BackupError as e:
        print(f"backup: {e}", file=sys.stderr)
        return 1
    print(
        f"backup: {path} ({path.stat().st_size / 1e6:.1f} MB) — {m.vendor}, {m.orders} orders, "
        f"{m.events} events, {m.ledger_entries} ledger entries, {m.media_files} files"
    )
    return 0


def cmd_restore(ns: argparse.Namespace) -> int:
    _django()
    from pathlib import Path

    from doorstep.ops.backup import BackupError, restore

    try:
        m = restore(Path(ns.path), force=ns.force)
    except BackupError as e:
        print(f"restore: {e}", file=sys.stderr)
        return 1
    print(
        f"restore: {m.orders} orders, {m.events} events, {m.media_files} files from the "
        f"{m.vendor} backup of {m.created_at} (doorstep {m.doorstep}); "
        "run `doorstep migrate` if it came from an older release, then `doorstep verify-history`"
    )
    return 0


def _wait_for_peers(barrier: str, timeout: float = 60.0) -> None:
    """Tests start several workers at once: each leaves a file in DIR and waits until N are
    there, so every process is past its start-up before any claims work."""
    import time
    from pathlib import Path

    folder, _, count = barrier.rpartition(":")
    Path(folder, str(os.getpid())).touch()
    give_up = time.monotonic() + timeout
    while len(list(Path(folder).iterdir())) < int(count) and time.monotonic() < give_up:
        time.sleep(0.02)


def cmd_worker(ns: argparse.Namespace) -> int:
    _django()
    from doorstep.worker import Worker

    worker = Worker(batch=ns.batch)
    worker.install_signal_handlers()
    if ns.start_at:
        import time

        time.sleep(max(0.0, ns.start_at - time.time()))
    if ns.start_barrier:
        _wait_for_peers(ns.start_barrier)
    print(f"doorstep worker {worker.name}: clocks, escalations, notifications", flush=True)
    worker.run(interval=ns.interval, once=ns.once)
    return 0


def cmd_bench(ns: argparse.Namespace, rest: list[str]) -> int:
    if rest and rest[0] == "plan":
        from doorstep.dispatch.planner.bench import main as plan_main

        return plan_main(rest)
    if rest and rest[0] == "clocks":
        from doorstep.bench.clocks import main as clocks_main

        return clocks_main(rest[1:])
    if rest and rest[0] == "intake":
        from doorstep.bench.intake import main as intake_main

        return intake_main(rest[1:])
    if rest and rest[0] == "load":
        from doorstep.bench.load import main as load_main

        return load_main(rest[1:])
    if rest and rest[0] == "kpi":
        from doorstep.bench.kpi import main as kpi_main

        return kpi_main(rest[1:])
    print("usage: doorstep bench {intake,clocks,kpi,load,plan} …", file=sys.stderr)
    return 2


def cmd_manage(ns: argparse.Namespace, rest: list[str]) -> int:
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["doorstep", *rest])
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="doorstep", description="Doorstep 上门 work orders")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("migrate", help="create or upgrade the database")
    p.add_argument("-v", "--verbosity", type=int, default=1)
    p.set_defaults(fn=cmd_migrate)

    p = sub.add_parser("demo", help="load the demo organisation and orders, then serve")
    p.add_argument("--no-serve", action="store_true", help="only load the data")
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--weeks", type=int, default=8, help="full weeks of history before this one")
    p.add_argument("--scale", type=float, default=1.0, help="share of the daily volume to load")
    p.add_argument("--reset", action="store_true", help="drop existing demo orders first")
    p.set_defaults(fn=cmd_demo)

    p = sub.add_parser("serve", help="serve the web UI and API with gunicorn")
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--bind", default=os.environ.get("DOORSTEP_BIND", "127.0.0.1"))
    p.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("DOORSTEP_THREADS", "1")),
        help="threads per process (more than 1: gunicorn's gthread worker)",
    )
    p.set_defaults(fn=cmd_serve)

    p = sub.add_parser("worker", help="clocks, warnings, escalations and notifications")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between idle passes")
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--once", action="store_true", help="work until nothing is due, then exit")
    p.add_argument("--start-at", type=float, default=0, help=argparse.SUPPRESS)
    p.add_argument("--start-barrier", default="", help=argparse.SUPPRESS)
    p.set_defaults(fn=cmd_worker)

    p = sub.add_parser("verify-history", help="check every order's history chain")
    p.set_defaults(fn=cmd_verify_history)

    p = sub.add_parser("backup", help="the database and uploaded files in one .tar.gz")
    p.add_argument("path", nargs="?", help="archive file or folder (default: a dated file here)")
    p.set_defaults(fn=cmd_backup)

    p = sub.add_parser("restore", help="replace the database and uploaded files from a backup")
    p.add_argument("path", help="a .tar.gz made by `doorstep backup`")
    p.add_argument("--force", action="store_true", help="replace a database that holds data")
    p.set_defaults(fn=cmd_restore)

    for name, fn, help_text in (
        ("bench", cmd_bench, "benchmarks: intake, clocks, kpi, load [--crash], plan"),
        ("manage", cmd_manage, "Django management commands"),
    ):
        p = sub.add_parser(name, help=help_text, add_help=False)
        p.set_defaults(fn=fn, passthrough=True)

    ns, rest = parser.parse_known_args(argv)
    if getattr(ns, "passthrough", False):
        return int(ns.fn(ns, rest))
    if rest:
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    return int(ns.fn(ns))


if __name__ == "__main__":
    raise SystemExit(main())
