"""What "Adapt to this lab" may be asked, and the lab's minimum: light enough for the API to validate requests.

The API process must not import TensorFlow (.importlinter), so the options and limits live here,
apart from the adaptation itself (hemosight.ml.lab_adaptation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hemosight.ml.errors import InputError

#: Fewest cells a lab must bring: the standardiser's medians and the fine-tune need a sample of the lab.
MIN_CELLS = 50
#: Fewest labelled cells (of at least two classes) for a lab head and for cross-validated metrics.
MIN_LABELS = 10
#: Folds of the cross-validation on the lab's labelled cells (fewer when a class has fewer cells).
FOLDS = 5
HEADS = ("auto", "bundle", "lab")

#: Called with (phase, fraction done) as the adaptation goes.
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class AdaptOptions:
    """What to adapt. `fine_tune_minutes` 0 skips the fine-tune; `head` "auto" lets the lab's labels choose."""

    colour: bool = False
    scale: bool = True
    fine_tune_minutes: float = 0.0
    fine_tune_steps: int = 200
    fine_tune_batch: int = 32
    head: str = "auto"
    label_set: str | None = None
    seed: int = 0

    def check(self) -> None:
        if self.head not in HEADS:
            raise InputError(f"Unknown head {self.head!r}; use one of {', '.join(HEADS)}.")
        if not 0 <= self.fine_tune_minutes <= 120:
            raise InputError(f"fine_tune_minutes must be between 0 and 120 (got {self.fine_tune_minutes}).")
        if self.fine_tune_steps < 1 or self.fine_tune_batch < 2:
            raise InputError("fine_tune_steps must be at least 1 and fine_tune_batch at least 2.")
