"""The retry policy: exponential backoff, the registry's Retry-After (both forms), the cap."""

from __future__ import annotations

import datetime

from tools.registry.client import RetryPolicy, retry_after


def test_backoff_doubles_and_is_capped():
    policy = RetryPolicy(attempts=8, base_delay=0.5, max_delay=3.0)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_retry_after_wins_over_a_shorter_backoff_but_not_over_the_cap():
    policy = RetryPolicy(base_delay=0.5, max_delay=60.0)
    assert policy.delay(1, asked=1.0) == 1.0
    assert policy.delay(3, asked=1.0) == 2.0  # the backoff is already longer
    assert policy.delay(1, asked=3600.0) == 60.0


def test_retry_after_forms():
    now = datetime.datetime(2025, 1, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)
    assert retry_after("1") == 1.0
    assert retry_after(" 120 ") == 120.0
    assert retry_after("Wed, 01 Jan 2025 12:00:30 GMT", now) == 30.0
    assert retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now) == 0.0  # in the past: no wait
    for unusable in (None, "", "soon", "-5", "1.5"):
        assert retry_after(unusable, now) is None
