"""The outbox's retry schedule: base × 2^(n−1) seconds after the n-th failure, capped, with jitter
taking off at most its share (exact values)."""
from datetime import timedelta

import pytest

from portal.services.messaging.delivery import Backoff, DeliverySettings


def seconds(backoff: Backoff, failures: int, rng=lambda: 0.0) -> float:
    return backoff.delay(failures, rng).total_seconds()


def test_the_wait_doubles_from_the_base_up_to_the_cap():
    backoff = Backoff(base=10, cap=3600)
    assert [seconds(backoff, n) for n in range(1, 11)] == [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600]
    assert seconds(backoff, 60) == 3600  # no overflow however many failures


def test_jitter_takes_off_at_most_its_share_of_the_wait():
    backoff = Backoff(base=10, cap=3600, jitter=0.25)
    assert seconds(backoff, 3, rng=lambda: 0.0) == 40
    assert seconds(backoff, 3, rng=lambda: 0.5) == 35
    assert seconds(backoff, 3, rng=lambda: 1.0) == 30
    assert seconds(backoff, 20, rng=lambda: 1.0) == 2700  # 3600 capped, less a quarter


def test_settings_come_from_the_configuration_with_defaults():
    defaults = DeliverySettings.from_config({})
    assert (defaults.max_attempts, defaults.backoff, defaults.lease, defaults.inline) == (
        8, Backoff(10, 3600, 0.1), timedelta(seconds=120), True)
    custom = DeliverySettings.from_config({"OUTBOX_MAX_ATTEMPTS": 3, "OUTBOX_BACKOFF_BASE": 2.5,
                                           "OUTBOX_BACKOFF_CAP": 60, "OUTBOX_BACKOFF_JITTER": 0,
                                           "OUTBOX_CLAIM_SECONDS": 30, "OUTBOX_DELIVER_INLINE": False})
    assert (custom.max_attempts, custom.backoff, custom.lease, custom.inline) == (
        3, Backoff(2.5, 60, 0.0), timedelta(seconds=30), False)
    assert [seconds(custom.backoff, n) for n in (1, 2, 3, 4, 5, 6)] == [2.5, 5, 10, 20, 40, 60]
    with pytest.raises(ValueError):
        DeliverySettings.from_config({"OUTBOX_BACKOFF_JITTER": 1.5})
