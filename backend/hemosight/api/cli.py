"""Service commands: `hemosight serve`, `hemosight create-admin`, `hemosight models ...`.

Registered by hemosight/cli/__init__.py. Importing this module costs only argparse and pathlib: the
app, the store and uvicorn are imported when a command runs. The backend process never
imports TensorFlow; `serve` runs the worker as a separate process (`hemosight worker`).
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from hemosight.core.options import add_store_options
from hemosight.ml.errors import HemosightError


class CommandError(HemosightError):
    """A service command cannot go on; like every HemosightError, printed as one line (exit status 2)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="run the web app and a worker on one port (embedded store by default)",
        description="Starts the REST API, the browser app (frontend/dist) and a classification worker. "
        "Ctrl-C stops everything cleanly; accepted uploads are already on disk.",
    )
    add_store_options(serve)
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (0.0.0.0 for the whole network)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--model", type=Path, help="model bundle to register and activate (default: the shipped model)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes to start (0: none)")
    serve.set_defaults(handler=_serve)

    admin = subparsers.add_parser("create-admin", help="create an administrator account (the first one, or another)")
    add_store_options(admin)
    admin.add_argument("--username", default="admin")
    admin.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input instead of prompting"
    )
    admin.set_defaults(handler=_create_admin)

    models = subparsers.add_parser("models", help="list, upload, activate and roll back model bundles")
    actions = models.add_subparsers(title="actions", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="registered model versions; * marks the active one")
    listing.add_argument("--metrics", action="store_true", help="also compare every numeric metric side by side")
    add_store_options(listing)
    listing.set_defaults(handler=_models_list)
    for name, upload, help_text in (
        ("upload", True, "copy a bundle file (.hsb) into the store (data folder or GridFS) and register it"),
        ("add", False, "register a bundle file (.hsb) where it lies (every worker must be able to read the path)"),
    ):
        add = actions.add_parser(name, help=help_text)
        add.add_argument("path", type=Path)
        add.add_argument("--activate", action="store_true", help="make it the model the workers use (no restart)")
        add.add_argument("--created-by", default="", help="who registers it (shown by 'models list')")
        add_store_options(add)
        add.set_defaults(handler=_models_add, upload=upload)
    activate = actions.add_parser("activate", help="switch the workers to a registered version")
    activate.add_argument("version")
    add_store_options(activate)
    activate.set_defaults(handler=_models_activate)
    rollback = actions.add_parser("rollback", help="re-activate the version that was active before the current one")
    add_store_options(rollback)
    rollback.set_defaults(handler=_models_rollback)

    backup = subparsers.add_parser(
        "backup", help="back up the embedded store (database, images, uploaded models) while it runs"
    )
    backup.add_argument("out", type=Path, help="the backup file to write (.tar.gz)")
    add_store_options(backup, mongo=False)
    backup.add_argument(
        "--include-secret-key",
        action="store_true",
        help="also store the token-signing key (sessions survive a restore; keep such a backup as safe as the key)",
    )
    backup.set_defaults(handler=_backup)
    restore = subparsers.add_parser("restore", help="restore an embedded-store backup (stop HemoSight first)")
    restore.add_argument("archive", type=Path, help="a file written by 'hemosight backup'")
    add_store_options(restore, mongo=False)
    restore.add_argument("--force", action="store_true", help="replace the database already in --data-dir")
    restore.set_defaults(handler=_restore)


def _settings(args: argparse.Namespace, **extra: object):
    from hemosight.core.settings import settings_with

    return settings_with(data_dir=args.data_dir, mongo_uri=args.mongo_uri, **extra)


def _with_store(args: argparse.Namespace, action):
    """Run `action(store)` (a coroutine function) against the configured store."""
    import asyncio

    from hemosight.core.store import open_store

    async def main():
        store = await open_store(_settings(args))
        try:
            return await action(store)
        finally:
            await store.close()

    return asyncio.run(main())


# --- create-admin ------------------------------------------------------------------------
def _create_admin(args: argparse.Namespace) -> int:
    from hemosight.core.accounts import create_user

    password = _read_password(args.password_stdin)

    user = _with_store(args, lambda store: create_user(store, args.username, password, "admin"))
    print(f"Administrator {user.username!r} created. Sign in with it and add the other accounts under Users.")
    return 0


def _read_password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    import getpass

    password = getpass.getpass("Password for the new administrator: ")
    if getpass.getpass("Repeat the password: ") != password:
        raise CommandError("The two passwords differ; run the command again.")
    return password


# --- models ------------------------------------------------------------------------------
def _models_list(args: argparse.Namespace) -> int:
    from hemosight.core.model_registry import comparable_metrics, headline_metrics

    async def listing(store):
        return await store.list_model_versions()

    models = _with_store(args, listing)
    if not models:
        print("No model registered. Upload one with 'hemosight models upload PATH --activate'.")
    for model in models:
        registered = model.registered_at.strftime("%Y-%m-%d %H:%M")
        by = f" by {model.registered_by}" if model.registered_by else ""
        scores = "  ".join(f"{k}={v:.4f}" for k, v in headline_metrics(model.metrics).items())
        print(
            f"{'*' if model.active else ' '} {model.version}  {model.path}  label sets: {', '.join(model.label_sets)}"
            f"  registered {registered}{by}  {scores}".rstrip()
        )
    if args.metrics and models:
        table = {m.version: comparable_metrics(m.metrics) for m in models}
        names = sorted({name for values in table.values() for name in values})
        width = max([len(n) for n in names] + [6])
        print("\n" + "metric".ljust(width) + "".join(f"  {v:>14}" for v in table))
        for name in names:
            cells = "".join(f"  {table[v][name]:>14.4f}" if name in table[v] else f"  {'-':>14}" for v in table)
            print(name.ljust(width) + cells)
    return 0


def _models_add(args: argparse.Namespace) -> int:
    from hemosight.core.model_registry import register_bundle

    async def add(store):
        return await register_bundle(
            store, args.path, activate=args.activate, upload=args.upload, registered_by=args.created_by
        )

    model = _with_store(args, add)
    where = " into the store" if args.upload else ""
    print(f"Registered model {model.version}{where}" + (" and made it active." if model.active else "."))
    return 0


def _models_activate(args: argparse.Namespace) -> int:
    from hemosight.core.model_registry import activate_version

    _with_store(args, lambda store: activate_version(store, args.version))
    print(f"Model {args.version} is active; running workers switch to it before their next batch.")
    return 0


def _models_rollback(args: argparse.Namespace) -> int:
    from hemosight.core.model_registry import rollback

    model = _with_store(args, rollback)
    print(f"Rolled back: model {model.version} is active again; running workers switch before their next batch.")
    return 0


# --- backup / restore ----------------------------------------------------------------------
def _backup(args: argparse.Namespace) -> int:
    from hemosight.core.backup import backup

    settings = _settings(argparse.Namespace(data_dir=args.data_dir, mongo_uri=None))
    if settings.mongo_uri:
        raise CommandError("HEMOSIGHT_MONGO_URI is set: back up MongoDB with mongodump (docs/DEPLOYMENT.md).")
    manifest = backup(settings.resolved_data_dir, args.out, include_secret_key=args.include_secret_key)
    counts = ", ".join(f"{n} {table}" for table, n in manifest["counts"].items())  # type: ignore[attr-defined]
    print(f"Backed up {settings.resolved_data_dir} to {args.out} (readable by you only): {counts}.")
    if not args.include_secret_key:
        print("The token-signing key is not in it: after a restore everyone signs in again (--include-secret-key).")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from hemosight.core.backup import restore

    settings = _settings(argparse.Namespace(data_dir=args.data_dir, mongo_uri=None))
    manifest = restore(args.archive, settings.resolved_data_dir, force=args.force)
    print(f"Restored the backup of {manifest['created']} into {settings.resolved_data_dir}; start HemoSight again.")
    return 0


# --- serve -------------------------------------------------------------------------------
def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from hemosight.api.main import create_app
    from hemosight.api.supervisor import WorkerSupervisor
    from hemosight.core.logs import configure_logging

    settings = _settings(args)
    configure_logging("backend", settings.log_format, settings.log_level)
    settings.token_secret()  # create it now, before any request can race for it
    model = _with_store(args, lambda store: _prepare_model(store, args.model, settings.default_model))
    if model is None:
        print(
            "hemosight: no model is loaded; uploads are accepted and stay pending until you run "
            "'hemosight models add PATH --activate'.",
            file=sys.stderr,
        )
    else:
        print(f"hemosight: model {model.version} is active.", file=sys.stderr)
    worker_args = ["--data-dir", str(settings.resolved_data_dir)]
    if settings.mongo_uri:
        worker_args = ["--mongo-uri", settings.mongo_uri]
    supervisor = WorkerSupervisor(worker_args, count=args.workers)
    # uvicorn stops on SIGTERM, then re-raises it with the handler it found: with the default one the process dies
    # there, this `finally` never runs and the worker is orphaned. A handler that raises lets it run.
    signal.signal(signal.SIGTERM, _raise_terminated)
    supervisor.start()
    try:
        print(f"hemosight: serving on http://{args.host}:{args.port}/ (API: /api/v1/openapi.json)", file=sys.stderr)
        # log_config=None: uvicorn's records go through configure_logging (JSON lines in containers).
        app = create_app(settings)
        uvicorn.run(app, host=args.host, port=args.port, log_config=None, **settings.uvicorn_proxy_options())
    except Terminated:
        print("hemosight: stopped (SIGTERM).", file=sys.stderr)
    finally:
        supervisor.stop()
    return 0


class Terminated(Exception):
    """SIGTERM arrived: unwind `serve` so that its workers are stopped too."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


async def _prepare_model(store, model_path: Path | None, default_model: Path):
    """Register the bundle to serve: --model wins and is activated; the shipped model only if none is active."""
    from hemosight.core.model_registry import register_bundle

    if model_path is not None:
        return await register_bundle(store, model_path, activate=True)
    if default_model.is_file():
        active = await store.active_model_version()
        await register_bundle(store, default_model, activate=active is None)
    return await store.active_model_version()
