"""The collector is settled once per process, when the app starts serving."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from app.web.heap import YOUNG_THRESHOLD, settle_heap


@pytest.fixture
def fresh_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_serving_freezes_the_start_up_heap_once(
    fresh_collector: None, migrated_settings: Settings
) -> None:
    assert gc.get_freeze_count() == 0
    with TestClient(create_app(migrated_settings)):
        frozen = gc.get_freeze_count()
        assert frozen > 10_000
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    later_objects = [[i] for i in range(1000)]  # tracked by the collector
    settle_heap()  # a second app in the same process freezes nothing more
    assert gc.get_freeze_count() <= frozen
    assert len(later_objects) == 1000
