"""How many sign-ins a user name may try from one address: `MAX_FAILURES` in `WINDOW_S`.

An attempt is counted when it is admitted, before the password is checked (which takes tens of
milliseconds of scrypt): guesses sent at once are counted at once, not after the check, so no
burst gets more tries than the limit. A sign-in that succeeds clears its count. Keys whose
attempts have all aged out are dropped, and the table is bounded, so names nobody has could not
fill the memory.
"""

from __future__ import annotations

import threading
import time
from collections import deque

MAX_FAILURES = 5
WINDOW_S = 300.0
MAX_KEYS = 10_000

Key = tuple[str, str]  # (user name, client address)


class SignInLimiter:
    def __init__(
        self, max_failures: int = MAX_FAILURES, window_s: float = WINDOW_S, max_keys: int = MAX_KEYS
    ) -> None:
        self._max_failures = max_failures
        self._window_s = window_s
        self._max_keys = max_keys
        self._attempts: dict[Key, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, key: Key) -> bool:
        """True, and counted, if this key may try once more now."""
        now = time.monotonic()
        with self._lock:
            recent = self._attempts.get(key)
            if recent is None:
                if len(self._attempts) >= self._max_keys:
                    self._forget_aged(now)
                    if len(self._attempts) >= self._max_keys:
                        return False  # under a flood of names: refuse rather than grow
                recent = self._attempts[key] = deque()
            while recent and now - recent[0] > self._window_s:
                recent.popleft()
            if len(recent) >= self._max_failures:
                return False
            recent.append(now)
            return True

    def succeeded(self, key: Key) -> None:
        with self._lock:
            self._attempts.pop(key, None)

    def keys(self) -> int:
        with self._lock:
            return len(self._attempts)

    def _forget_aged(self, now: float) -> None:
        aged = [k for k, r in self._attempts.items() if not r or now - r[-1] > self._window_s]
        for key in aged:
            del self._attempts[key]
