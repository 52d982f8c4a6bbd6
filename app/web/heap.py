"""The garbage collector, tuned for a long-running server.

A full collection walks every tracked object. After start-up most of them are the code and
data of the libraries the app imported (about 150,000 objects), which live as long as the
process, and a full pass over them took 40-50 ms: a pause landing on whichever request was
running. They are moved out of the collector's sight once, at start-up (``gc.freeze``), and
the youngest generation is collected less often, as a listing of 10,000 items allocates that
many objects at once; cyclic garbage is still collected, only in fewer, larger batches.
"""

from __future__ import annotations

import gc

# Allocations between collections of the youngest generation (CPython's default is 700).
YOUNG_THRESHOLD = 20_000


def settle_heap() -> None:
    """Collect once, then freeze what is left so later full collections skip it. Once per
    process: what is frozen is never collected, so apps built later (tests build many) stay
    in the collector's sight."""
    if gc.get_freeze_count():
        return
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
