"""`hemosight worker`: run one classification worker process (start several for more throughput);
`hemosight adapt`: adapt the active model to a lab's cells (a job a worker runs, or this process).

Only argparse is imported at registration, so `hemosight --help` stays fast; the store,
the model bundle and (on first use) TensorFlow are loaded when the command runs.
"""

from __future__ import annotations

import argparse

from hemosight.core.options import add_store_options


def register(subparsers: argparse._SubParsersAction) -> None:
    register_worker(subparsers)
    register_adapt(subparsers)


def register_worker(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "worker",
        help="run a classification worker: takes queued images, runs the active model, stores results",
        description="Runs until Ctrl-C or SIGTERM (the batch in progress is finished first). "
        "Several workers may run against one store; each job is completed once.",
    )
    add_store_options(parser)
    parser.add_argument("--batch-size", type=int, help="images per micro-batch (default 32)")
    parser.add_argument("--lease-seconds", type=float, help="how long a claimed job is reserved between heartbeats")
    parser.add_argument("--max-attempts", type=int, help="claims before a job is marked failed (default 3)")
    parser.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="(default: INFO)")
    parser.add_argument("--metrics-port", type=int, help="serve /metrics, /healthz and /readyz on this port (0: off)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from hemosight.core.logs import configure_logging
    from hemosight.core.settings import settings_with
    from hemosight.worker.service import run_worker

    settings = settings_with(
        log_level=args.log_level,
        metrics_port=args.metrics_port,
        data_dir=args.data_dir,
        mongo_uri=args.mongo_uri,
        batch_size=args.batch_size,
        lease_seconds=args.lease_seconds,
        job_max_attempts=args.max_attempts,
    )
    configure_logging("worker", settings.log_format, settings.log_level)
    asyncio.run(run_worker(settings))
    return 0


def register_adapt(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "adapt",
        help="adapt the active model to a lab's cells: a new model version, not active until you activate it",
        description="Queues an adapt job on the cells (and labels) of the given projects, as the Models page's "
        "'Adapt to this lab' does: colour/scale standardisation to the training style, an optional short "
        "self-supervised fine-tune of the encoder, and the label set's classifier chosen by cross-validation on the "
        "lab's labelled cells. A worker runs it and registers a new, inactive model version with its metrics "
        "beside the active one's; 'hemosight models activate VERSION' switches to it and re-scores the lab's "
        "projects. Without --wait or --run-here the command returns once the job is queued.",
    )
    add_store_options(parser)
    parser.add_argument(
        "--project", action="append", required=True, metavar="ID", help="a project whose cells are the lab's (repeat)"
    )
    parser.add_argument("--colour", action="store_true", help="map the lab's colours to the training style")
    parser.add_argument("--no-scale", action="store_true", help="do not zoom the lab's cells to the training scale")
    parser.add_argument(
        "--fine-tune-minutes", type=float, default=0.0, metavar="N", help="fine-tune the encoder for up to N minutes"
    )
    parser.add_argument(
        "--head",
        choices=["auto", "bundle", "lab"],
        default="auto",
        help="the label set's classifier: chosen by cross-validation (auto), the model's, or the lab's labels alone",
    )
    parser.add_argument("--label-set", help="the label set to adapt (default: the model's default label set)")
    parser.add_argument("--created-by", default="command line", help="who starts it (shown with the version)")
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--wait", action="store_true", help="wait for a worker to finish the job, showing its progress")
    how.add_argument("--run-here", action="store_true", help="run the job in this process instead of on a worker")
    parser.set_defaults(handler=adapt)


def adapt(args: argparse.Namespace) -> int:
    import asyncio

    from hemosight.core.settings import settings_with
    from hemosight.core.store import open_store
    from hemosight.worker.adapt import follow_adapt_job

    settings = settings_with(data_dir=args.data_dir, mongo_uri=args.mongo_uri)
    options = {
        "colour": args.colour,
        "scale": not args.no_scale,
        "fine_tune_minutes": args.fine_tune_minutes,
        "head": args.head,
        "label_set": args.label_set,
    }

    async def main() -> int:
        store = await open_store(settings)
        try:
            return await follow_adapt_job(
                store, settings, args.project, options, args.created_by, args.wait, args.run_here
            )
        finally:
            await store.close()

    return asyncio.run(main())
