"""The sliding windows behind the bot's limits: never more than the limit in any window."""

from __future__ import annotations

import pytest

from tripbot.bot.limits import SlidingWindow


def test_a_full_window_waits_until_its_oldest_send_is_a_whole_period_old() -> None:
    window = SlidingWindow(limit=3, period=60)
    for at in (0.0, 10.0, 20.0):
        assert window.wait(at) == 0
        window.take(at)
    assert window.wait(30.0) == pytest.approx(30.0, abs=0.01)
    # the end of the window still counts: at exactly 60 s the first send is in it
    assert window.wait(60.0) > 0
    assert window.wait(60.01) == 0


@pytest.mark.parametrize(("limit", "period"), [(1, 1.0), (20, 60.0), (30, 1.0)])
def test_sending_as_soon_as_allowed_never_exceeds_the_limit_in_any_window(
    limit: int, period: float
) -> None:
    window, now, sent = SlidingWindow(limit, period), 0.0, []
    for _ in range(limit * 5):
        now += window.wait(now)
        window.take(now)
        sent.append(now)
    for index, start in enumerate(sent):
        inside = [at for at in sent[index:] if at <= start + period]
        assert len(inside) <= limit
