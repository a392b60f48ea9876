"""The sign-in limit: what a burst of guesses, a flood of made-up names and a success do."""

from __future__ import annotations

import threading
import time

from tilsyn.platform.auth.limits import SignInLimiter

KEY = ("home.care.nurse", "10.0.0.7")


def test_guesses_sent_at_once_get_no_more_tries_than_the_limit() -> None:
    """Each guess is counted when admitted, before the slow password check: 40 at once used to
    get 11 checks."""
    limiter = SignInLimiter(max_failures=5)
    start = threading.Barrier(40)
    admitted: list[bool] = []

    def guess() -> None:
        start.wait()
        admitted.append(limiter.admit(KEY))

    guesses = [threading.Thread(target=guess) for _ in range(40)]
    for thread in guesses:
        thread.start()
    for thread in guesses:
        thread.join()
    assert admitted.count(True) == 5


def test_a_success_clears_the_count_and_old_attempts_age_out() -> None:
    limiter = SignInLimiter(max_failures=2, window_s=0.2)
    assert limiter.admit(KEY) and limiter.admit(KEY)
    assert not limiter.admit(KEY)
    time.sleep(0.25)
    assert limiter.admit(KEY), "the window has passed"
    limiter.succeeded(KEY)
    assert limiter.keys() == 0


def test_a_flood_of_made_up_names_cannot_fill_the_memory() -> None:
    limiter = SignInLimiter(max_failures=5, window_s=0.2, max_keys=100)
    admitted = [limiter.admit((f"nobody-{n}", "203.0.113.9")) for n in range(1000)]
    assert limiter.keys() == 100 and admitted.count(True) == 100
    time.sleep(0.25)
    assert limiter.admit(("someone", "203.0.113.9")), "aged names are dropped to make room"
    assert limiter.keys() == 1
