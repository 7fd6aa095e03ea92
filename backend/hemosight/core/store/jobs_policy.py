"""The job pipeline's rules, written once for every store adapter.

A store decides *how* a job changes state atomically (one SQL transaction, one MongoDB
update); this module decides *what* the new state is, so SQLite and MongoDB cannot
drift apart on retries or on the message a user reads when a worker kept dying.
"""

from __future__ import annotations


def lease_lost_message(attempts: int) -> str:
    """What the user reads when a job's worker vanished `attempts` times (crash, out of memory)."""
    return (
        f"Classification was interrupted {attempts} times before it finished (the worker stopped or ran out "
        "of memory). Upload the image again; if it keeps failing, ask your administrator to check the worker logs."
    )


def after_lease_expired(attempts: int, error: str | None, max_attempts: int) -> tuple[str, str | None]:
    """(status, error) of a running job whose lease ran out: pending again, or failed once claims are used up."""
    if attempts >= max_attempts:
        return "failed", error or lease_lost_message(attempts)
    return "pending", error


def after_failure(retry: bool, attempts: int, max_attempts: int) -> str:
    """The status of a job whose worker reported an error: retried while claims remain, else failed."""
    return "pending" if retry and attempts < max_attempts else "failed"


def model_job_lease_lost_message(attempts: int) -> str:
    """What an admin reads when the worker running a model job (adapting to a lab) vanished `attempts` times."""
    return (
        f"Adapting the model was interrupted {attempts} times before it finished (the worker stopped or ran out of "
        "memory); no model version was registered. Start it again with fewer cells or a shorter fine-tune, or ask "
        "your administrator to check the worker logs."
    )
