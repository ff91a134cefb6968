"""Process-wide tuning the app applies once at start (every entry point goes through cli.main).

CPython's cyclic GC runs a young collection every 700 allocations and a full one every 70,000. A
workflow run allocates a few dozen objects per node (events, tasks, dicts) while the designer holds a
large heap (the document, its pydantic models, Qt wrappers), so full collections kept re-scanning
that heap: measured here, a third of the engine's per-node CPU on a 10,000-node run went to GC.
Raising the thresholds keeps cycle collection but makes it rare; memory stays bounded because
reference counting frees almost everything at once anyway.
"""

from __future__ import annotations

import gc

GC_THRESHOLDS = (50_000, 20, 100)


def tune_gc() -> tuple[int, int, int]:
    """Apply the app's GC thresholds; returns the previous ones."""
    previous = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    return previous  # type: ignore[return-value]
