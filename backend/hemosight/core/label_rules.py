"""When a custom label set has enough labels for a classifier: one rule, read by the API and the workers.

It lives in the backend (not in worker/hemosight/worker/refit.py) because the API shows 'needs labels' and the API
never imports the worker (.importlinter).
"""

from __future__ import annotations

#: A custom label set is "needs labels" until every class has this many labelled cells.
MIN_LABELS_PER_CLASS = 3


def needs_labels_message(counts: dict[str, int]) -> str:
    """Why a label set has no usable classifier yet, naming the classes still short of labels."""
    missing = [f"{c} ({n})" for c, n in counts.items() if n < MIN_LABELS_PER_CLASS]
    return (
        f"The classifier rests on {sum(counts.values())} labelled cell(s); label at least {MIN_LABELS_PER_CLASS} "
        f"cells of each class. Still needed: {', '.join(missing)}. A class without labels is never predicted."
    )
