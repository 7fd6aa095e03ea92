"""Service commands: `hemosight serve`, `hemosight create-admin`, `hemosight models ...`.

Registered by models/cli.py. Importing this module costs only argparse and pathlib: the
app, the store and uvicorn are imported when a command runs. The backend process never
imports TensorFlow; `serve` runs the worker as a separate process (`hemosight worker`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


class CommandError(Exception):
    """Printed as one line, without a traceback, and the command exits with status 2."""


def register(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="run the web app and a worker on one port (embedded store by default)",
        description="Starts the REST API, the browser app (frontend/dist) and a classification worker. "
        "Ctrl-C stops everything cleanly; accepted uploads are already on disk.",
    )
    _store_options(serve)
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (0.0.0.0 for the whole network)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--model", type=Path, help="model bundle to register and activate (default: the shipped model)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes to start (0: none)")
    serve.set_defaults(handler=_guarded(_serve))

    admin = subparsers.add_parser("create-admin", help="create an administrator account (the first one, or another)")
    _store_options(admin)
    admin.add_argument("--username", default="admin")
    admin.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input instead of prompting"
    )
    admin.set_defaults(handler=_guarded(_create_admin))

    models = subparsers.add_parser("models", help="list, add and activate model bundles")
    actions = models.add_subparsers(title="actions", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="registered model versions; * marks the active one")
    _store_options(listing)
    listing.set_defaults(handler=_guarded(_models_list))
    add = actions.add_parser("add", help="register a bundle file (.hsb)")
    add.add_argument("path", type=Path)
    add.add_argument("--activate", action="store_true", help="make it the model the workers use (no restart needed)")
    _store_options(add)
    add.set_defaults(handler=_guarded(_models_add))
    activate = actions.add_parser("activate", help="switch the workers to a registered version")
    activate.add_argument("version")
    _store_options(activate)
    activate.set_defaults(handler=_guarded(_models_activate))


def _store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, help="embedded store folder (default: ~/.hemosight)")
    parser.add_argument("--mongo-uri", help="use MongoDB (a replica set) instead of the embedded store")


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except CommandError as exc:
            print(f"hemosight: {exc}", file=sys.stderr)
            return 2

    return run


def _settings(args: argparse.Namespace, **extra: object):  # type: ignore[no-untyped-def]
    from backend.settings import settings_with

    return settings_with(data_dir=args.data_dir, mongo_uri=args.mongo_uri, **extra)


def _with_store(args: argparse.Namespace, action):  # type: ignore[no-untyped-def]
    """Run `action(store)` (a coroutine function) against the configured store; store errors become one line."""
    import asyncio

    from backend.store import open_store
    from backend.store.base import StoreError

    async def main():  # type: ignore[no-untyped-def]
        store = await open_store(_settings(args))
        try:
            return await action(store)
        finally:
            await store.close()

    try:
        return asyncio.run(main())
    except StoreError as exc:
        raise CommandError(str(exc)) from None


# --- create-admin ------------------------------------------------------------------------
def _create_admin(args: argparse.Namespace) -> int:
    from backend.accounts import create_user

    password = _read_password(args.password_stdin)

    async def create(store):  # type: ignore[no-untyped-def]
        try:
            return await create_user(store, args.username, password, "admin")
        except ValueError as exc:
            raise CommandError(str(exc)) from None

    user = _with_store(args, create)
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
    async def listing(store):  # type: ignore[no-untyped-def]
        return await store.list_model_versions()

    models = _with_store(args, listing)
    if not models:
        print("No model registered. Add one with 'hemosight models add PATH --activate'.")
    for model in models:
        label_sets = ", ".join(model.label_sets)
        print(f"{'*' if model.active else ' '} {model.version}  {model.path}  label sets: {label_sets}")
    return 0


def _models_add(args: argparse.Namespace) -> int:
    from backend.model_registry import ModelRegistrationError, register_bundle

    async def add(store):  # type: ignore[no-untyped-def]
        try:
            return await register_bundle(store, args.path, activate=args.activate)
        except ModelRegistrationError as exc:
            raise CommandError(str(exc)) from None

    model = _with_store(args, add)
    print(f"Registered model {model.version}" + (" and made it active." if model.active else "."))
    return 0


def _models_activate(args: argparse.Namespace) -> int:
    async def activate(store):  # type: ignore[no-untyped-def]
        return await store.activate_model_version(args.version)

    if not _with_store(args, activate):
        raise CommandError(f"No model version {args.version!r}; see 'hemosight models list'.")
    print(f"Model {args.version} is active; running workers switch to it before their next batch.")
    return 0


# --- serve -------------------------------------------------------------------------------
def _serve(args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from backend.main import create_app
    from backend.supervisor import WorkerSupervisor

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = _settings(args)
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
    supervisor.start()
    try:
        print(f"hemosight: serving on http://{args.host}:{args.port}/ (API docs at /api/v1/docs)", file=sys.stderr)
        uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    finally:
        supervisor.stop()
    return 0


async def _prepare_model(store, model_path: Path | None, default_model: Path):  # type: ignore[no-untyped-def]
    """Register the bundle to serve: --model wins and is activated; the shipped model only if none is active."""
    from backend.model_registry import ModelRegistrationError, register_bundle

    try:
        if model_path is not None:
            return await register_bundle(store, model_path, activate=True)
        if default_model.is_file():
            active = await store.active_model_version()
            await register_bundle(store, default_model, activate=active is None)
    except ModelRegistrationError as exc:
        raise CommandError(str(exc)) from None
    return await store.active_model_version()
