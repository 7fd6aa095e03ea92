"""`hemosight worker`: run one classification worker process (start several for more throughput).

Only argparse is imported at registration, so `hemosight --help` stays fast; the store,
the model bundle and (on first use) TensorFlow are loaded when the command runs.
"""

from __future__ import annotations

import argparse

from hemosight.core.options import add_store_options


def register(subparsers: argparse._SubParsersAction) -> None:
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
