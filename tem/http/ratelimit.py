"""Rate limits for the public scan and report endpoints, keyed so no raw IP address is stored.

A client is known only by :func:`client_key`, a keyed hash of its address (its /64
prefix for IPv6), so the limiter's memory never holds an address that could be
read back without the server's secret. :func:`client_ip` decides which address
counts: the socket peer, or the last hop of ``X-Forwarded-For`` when our own proxy
stands in front.

Without Redis the limits are held in memory, per process: with several worker
processes each one counts on its own, so the effective limit is the configured
one times the number of workers. With ``TEM_REDIS_URL`` set, :class:`RedisLimiter`
keeps them in Redis, where every worker (and every host) counts against the same
budget; if Redis stops answering, each worker falls back to its own memory and
says so in the log (fail open: a limiter outage never turns into 500s).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tem.http.metrics import record_rate_limited

if TYPE_CHECKING:
    import redis

from tem.http.proxies import TrustedProxies

UNKNOWN_CLIENT = "unknown"  # the key for a missing or unparsable address; they share one budget
EVERYONE = "*"  # the key of a server-wide limiter
KEY_HEX_CHARS = 32  # 128 bits of HMAC-SHA256: collisions between clients are not a concern
IPV6_CLIENT_PREFIX = 64  # RFC 4291 §2.5.4: one subscriber gets at least a /64, so it is one client

_NS_PER_SECOND = 1_000_000_000
_US_PER_SECOND = 1_000_000

log = logging.getLogger("tem.ratelimit")


@dataclass(frozen=True)
class Decision:
    """The answer to one request.

    ``remaining`` is how many more requests would be allowed right now;
    ``retry_after`` is the whole seconds to wait before the next one can pass,
    ready for a ``Retry-After`` header (RFC 9110 §10.2.3): at least 1 when
    refused, 0 when allowed.
    """

    allowed: bool
    remaining: int
    retry_after: int


class RateLimiter:
    """At most ``limit`` requests per ``window_seconds`` for each key, held in memory.

    The algorithm is GCRA, the Generic Cell Rate Algorithm (ITU-T I.371; the
    "virtual scheduling" form). It was chosen over a sliding log or windowed
    counters because it keeps a single integer per client -- the theoretical
    arrival time of its next request -- so 100 000 tracked clients cost a few
    megabytes whatever the limit is, and its answer is exact: a full burst of
    ``limit`` requests passes at once, after which one more passes every
    ``window_seconds / limit`` seconds, so the window slides instead of resetting
    all at once at a boundary, and the time until the next request may pass
    (``retry_after``) falls out of the same number.

    As with any token bucket, "``limit`` per window" is the sustained rate and the
    burst size, not a cap on every window: over any stretch of ``t`` seconds at
    most ``limit + t * limit / window_seconds`` requests pass, so the worst-placed
    window sees up to ``2 * limit - 1`` (a full burst, then the refill). A strict
    sliding log would cap every window at ``limit`` but keep up to ``limit``
    timestamps per client.

    Memory is bounded: at most ``max_keys`` clients are tracked, in least-recently
    seen order. Clients whose budget has fully refilled are forgotten first, as
    forgetting them changes nothing; when the table is still full the least
    recently seen client is evicted even if it is still throttled, which grants
    it a fresh budget -- the price of a bounded table under a flood of distinct
    keys.

    All methods are thread-safe. Time comes from ``clock`` (seconds, monotonic),
    so tests can drive it.
    """

    def __init__(
        self,
        limit: int,
        window_seconds: float,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create an empty limiter.

        Raises:
            ValueError: ``limit`` or ``max_keys`` is below 1, or the window is not
                positive or too short to hold ``limit`` distinct nanoseconds.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        window_ns = round(window_seconds * _NS_PER_SECOND)
        # Whole nanoseconds keep the arithmetic exact: a float interval such as
        # 60/7 would drift and refuse the last request of a full burst.
        interval_ns = window_ns // limit if window_ns > 0 else 0
        if interval_ns < 1 or (limit + 1) * interval_ns <= window_ns:
            raise ValueError("window_seconds must be positive and long enough for the limit")
        self.limit = limit
        self.window_seconds = window_seconds
        self.max_keys = max_keys
        self._window_ns = window_ns
        self._interval_ns = interval_ns
        self._clock = clock
        self._lock = threading.Lock()
        # key -> theoretical arrival time (ns) of the request after the last one allowed;
        # ordered from least to most recently seen.
        self._next_arrival: OrderedDict[str, int] = OrderedDict()

    def __len__(self) -> int:
        """How many clients are tracked at the moment."""
        with self._lock:
            return len(self._next_arrival)

    def hit(self, key: str) -> Decision:
        """Count one request from ``key`` and say whether it may proceed.

        A refused request consumes nothing, so a client hammering a closed door
        does not push its own reopening further away.
        """
        with self._lock:
            now = self._now_ns()
            self._forget_refilled(now)
            stored = self._next_arrival.get(key)
            decision, next_arrival = self._decide(stored, now)
            if stored is not None:
                self._next_arrival.move_to_end(key)
            if decision.allowed:
                if stored is None:
                    while len(self._next_arrival) >= self.max_keys:
                        self._next_arrival.popitem(last=False)
                self._next_arrival[key] = next_arrival
            return decision

    def peek(self, key: str) -> Decision:
        """The decision :meth:`hit` would return now, without counting a request.

        An unknown key is not added, so peeking costs no memory.
        """
        with self._lock:
            decision, _ = self._decide(self._next_arrival.get(key), self._now_ns())
            return decision

    def _now_ns(self) -> int:
        return int(self._clock() * _NS_PER_SECOND)

    def _decide(self, stored: int | None, now: int) -> tuple[Decision, int]:
        # GCRA: the request is conforming if, once it is counted, the client's
        # theoretical arrival time stays within one window of now.
        next_arrival = max(stored if stored is not None else now, now) + self._interval_ns
        ahead = next_arrival - now
        if ahead <= self._window_ns:
            remaining = min((self._window_ns - ahead) // self._interval_ns, self.limit - 1)
            return Decision(allowed=True, remaining=remaining, retry_after=0), next_arrival
        wait_ns = ahead - self._window_ns
        retry_after = max(1, -(-wait_ns // _NS_PER_SECOND))  # ceiling: never invite an early retry
        return Decision(allowed=False, remaining=0, retry_after=retry_after), next_arrival

    def _forget_refilled(self, now: int) -> None:
        # A client whose theoretical arrival time has passed has its whole budget
        # back: forgetting it is free. Only the least recently seen end is checked,
        # so the cost stays amortized constant per request.
        while self._next_arrival:
            oldest_key, oldest_arrival = next(iter(self._next_arrival.items()))
            if oldest_arrival > now:
                return
            del self._next_arrival[oldest_key]


def client_key(ip: str | None, secret: bytes) -> str:
    """A stable, non-reversible name for the client at ``ip``, for use as a limiter key.

    HMAC-SHA256 (RFC 2104) of the normalized address under ``secret``, as 32 hex
    characters. An IPv4-mapped IPv6 address (``::ffff:203.0.113.7``, as a
    dual-stack socket reports IPv4 peers) counts as its IPv4 address; any other
    IPv6 address counts as its /64 prefix (RFC 4291 §2.5.4), so a client cannot
    escape its limit by rotating through the addresses of its own subnet. A
    missing or invalid address gives the shared key ``"unknown"``.

    The address itself never leaves this function. The IPv4 space is small
    enough to hash exhaustively, so the keys are only as private as ``secret``:
    keep it out of logs, and rotate it to make keys unlinkable over time.

    Raises:
        ValueError: ``secret`` is empty.
    """
    if not secret:
        raise ValueError("client_key needs a non-empty secret")
    address = _parse_ip(ip)
    if address is None:
        return UNKNOWN_CLIENT
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            normalized = f"v4:{address.ipv4_mapped}"
        else:
            # Drop a zone index ("%eth0") before taking the prefix; it names our
            # interface, not the client.
            bare = ipaddress.IPv6Address(address.packed)
            network = ipaddress.IPv6Network((bare, IPV6_CLIENT_PREFIX), strict=False)
            normalized = f"v6:{network}"
    else:
        normalized = f"v4:{address}"
    digest = hmac.new(secret, normalized.encode("ascii"), hashlib.sha256).hexdigest()
    return digest[:KEY_HEX_CHARS]


def client_ip(
    scope_client_host: str | None,
    forwarded_for: str | None,
    *,
    trust_proxy: bool | TrustedProxies,
) -> str | None:
    """The address a request's limits are counted against, or ``None`` when there is none.

    Without ``trust_proxy`` it is always the socket peer (``scope["client"][0]``):
    any ``X-Forwarded-For`` header may have been written by the client and is
    ignored. With ``trust_proxy=True`` (every peer is our proxy) it is the LAST
    address in ``X-Forwarded-For``, the one our own proxy appended; earlier entries
    came from the client and are never trusted. With a :class:`TrustedProxies` list
    the header counts only when the peer is a listed proxy, and the client is the
    right-most address that is not a listed proxy (see :mod:`tem.http.proxies`). If
    the hop to use is not a valid address the socket peer is used. Addresses are
    validated with :mod:`ipaddress` and returned in canonical form.

    When a request carries several ``X-Forwarded-For`` header lines, pass them
    joined with ``", "`` in order (Starlette: ``", ".join(headers.getlist(...))``):
    taking only the first line would take the client's own.

    Raises nothing: invalid input gives the fallback or ``None``.
    """
    found = TrustedProxies.parse(trust_proxy).client(scope_client_host, forwarded_for)
    return str(found) if found is not None else None


def _parse_ip(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if text is None:
        return None
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


# GCRA, as RateLimiter.hit does it, for several limits at once, in Redis. Each key holds
# the theoretical arrival time of its client's next request, in microseconds of the Redis
# server's clock (so every worker and host reads the same time; microseconds since 1970
# stay exact in Lua's doubles). All limits are checked, and only when all allow is each
# one consumed: a refused request spends nothing, as in memory. A key expires once its
# budget is whole again, so Redis holds only clients seen within the last window.
# KEYS: one per limit. ARGV: limit, interval_us, window_us for each key, in order.
# Returns {allowed (1/0), remaining, retry_after}.
_GCRA_LUA = """
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local allowed, remaining, retry_after = 1, -1, 0
local nexts = {}
for i = 1, #KEYS do
  local limit = tonumber(ARGV[3 * i - 2])
  local interval = tonumber(ARGV[3 * i - 1])
  local window = tonumber(ARGV[3 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]))
  if tat == nil or tat < now then tat = now end
  local nxt = tat + interval
  local ahead = nxt - now
  nexts[i] = nxt
  if ahead <= window then
    local left = math.min(math.floor((window - ahead) / interval), limit - 1)
    if remaining < 0 or left < remaining then remaining = left end
  else
    allowed = 0
    local wait = math.max(1, math.ceil((ahead - window) / 1000000))
    if wait > retry_after then retry_after = wait end
  end
end
if allowed == 0 then return {0, 0, retry_after} end
for i = 1, #KEYS do
  local ttl_ms = math.ceil((nexts[i] - now) / 1000) + 1
  redis.call('SET', KEYS[i], string.format('%d', nexts[i]), 'PX', string.format('%d', ttl_ms))
end
return {1, remaining, 0}
"""


@dataclass(frozen=True)
class SharedLimit:
    """One limit as :class:`RedisLimiter` applies it: ``limit`` per ``window_seconds``."""

    name: str
    limit: int
    window_seconds: float

    @property
    def window_us(self) -> int:
        return round(self.window_seconds * _US_PER_SECOND)

    @property
    def interval_us(self) -> int:
        return self.window_us // self.limit


class RedisLimiter:
    """The same GCRA limits as :class:`RateLimiter`, kept in Redis and shared by every worker.

    One Lua script call per request (atomic on the Redis server, one round trip)
    checks every limit that applies and consumes from all of them only when all
    allow. Keys are ``<prefix><limit name>:<client key>``, where the client key is
    already an HMAC of the address (:func:`client_key`): Redis never sees an IP.
    Time is the Redis server's (``TIME``), so workers on different hosts agree.

    When Redis fails (down, slow beyond ``timeout_seconds``, refusing the script),
    :meth:`hit` returns ``None`` -- the caller then counts in memory -- logs one
    warning, and leaves Redis alone for ``retry_seconds`` so an outage costs at
    most one timeout per that interval, not one per request. When it answers
    again, one line says so. The URL (which may hold a password) is never logged.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "tem:rl:",
        timeout_seconds: float = 0.5,
        retry_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        import redis

        self._redis = redis
        self._client: redis.Redis = redis.Redis.from_url(
            url, socket_connect_timeout=timeout_seconds, socket_timeout=timeout_seconds
        )
        self._script = self._client.register_script(_GCRA_LUA)
        self.prefix = prefix
        self._retry_seconds = retry_seconds
        self._clock = clock
        self._down_until: float | None = None  # set while Redis is considered down

    @property
    def client(self) -> redis.Redis:
        return self._client

    def hit(self, checks: Sequence[tuple[SharedLimit, str]]) -> Decision | None:
        """Count one request against each ``(limit, key)``; ``None`` when Redis did not answer."""
        down_until = self._down_until
        if down_until is not None and self._clock() < down_until:
            return None
        keys = [f"{self.prefix}{limit.name}:{key}" for limit, key in checks]
        args: list[int] = []
        for limit, _ in checks:
            args += [limit.limit, limit.interval_us, limit.window_us]
        try:
            allowed, remaining, retry_after = self._script(keys=keys, args=args)
        except self._redis.RedisError as exc:
            if down_until is None:
                log.warning(
                    "rate limits: Redis is not answering (%s); each worker counts in its own "
                    "memory until it is back",
                    type(exc).__name__,
                )
            self._down_until = self._clock() + self._retry_seconds
            return None
        if down_until is not None:
            self._down_until = None
            log.warning("rate limits: Redis answers again; limits are shared by all workers")
        return Decision(
            allowed=bool(allowed), remaining=int(remaining), retry_after=int(retry_after)
        )


class Limits:
    """The public endpoints' limiters, created from the settings.

    - ``scan``: ``scan_per_minute`` label scans per client per minute.
    - ``report``: ``reports_per_hour`` counterfeit reports per client per hour.
    - ``report_global``: ``reports_global_per_hour`` reports per hour for the
      whole server (key ``"*"``), so many clients together -- a botnet -- cannot
      flood the review queue either.

    With ``redis_url`` the budgets live in Redis and are shared by every worker
    (:class:`RedisLimiter`); the in-memory limiters then only stand in while Redis
    is not answering. Every refusal is counted in the ``tem_rate_limited`` metric.

    Methods take the client's address as :func:`client_ip` returns it; only its
    :func:`client_key` is kept.
    """

    def __init__(
        self,
        secret: bytes,
        scan_per_minute: int = 60,
        reports_per_hour: int = 5,
        reports_global_per_hour: int = 300,
        clock: Callable[[], float] = time.monotonic,
        redis_url: str | None = None,
        redis_prefix: str = "tem:rl:",
    ) -> None:
        """Create the limiters.

        Raises:
            ValueError: ``secret`` is empty or a limit is below 1.
        """
        if not secret:
            raise ValueError("Limits needs a non-empty secret")
        self._secret = secret
        self.scan = RateLimiter(scan_per_minute, 60, clock=clock)
        self.report = RateLimiter(reports_per_hour, 3600, clock=clock)
        self.report_global = RateLimiter(reports_global_per_hour, 3600, max_keys=1, clock=clock)
        # Makes "check both, then consume from both" one step for concurrent reports.
        self._report_lock = threading.Lock()
        self.shared = RedisLimiter(redis_url, prefix=redis_prefix) if redis_url else None
        self._shared_scan = SharedLimit("scan", scan_per_minute, 60)
        self._shared_report = SharedLimit("report", reports_per_hour, 3600)
        self._shared_report_global = SharedLimit("report_global", reports_global_per_hour, 3600)

    def check_scan(self, ip: str | None) -> Decision:
        """Count one scan from ``ip``."""
        key = client_key(ip, self._secret)
        decision = None
        if self.shared is not None:
            decision = self.shared.hit([(self._shared_scan, key)])
        if decision is None:
            decision = self.scan.hit(key)
        if not decision.allowed:
            record_rate_limited("scan")
        return decision

    def check_report(self, ip: str | None) -> Decision:
        """Count one report from ``ip`` against its own and the server-wide budget.

        The report is counted in both only when both allow it: a refused client
        does not spend the server-wide budget, and a report refused by the
        server-wide limit does not spend the client's. When refused, the
        ``retry_after`` is the longer of the two waits that apply.
        """
        key = client_key(ip, self._secret)
        decision = None
        if self.shared is not None:
            decision = self.shared.hit(
                [(self._shared_report, key), (self._shared_report_global, EVERYONE)]
            )
        if decision is None:
            decision = self._check_report_in_memory(key)
        if not decision.allowed:
            record_rate_limited("report")
        return decision

    def _check_report_in_memory(self, key: str) -> Decision:
        with self._report_lock:
            own = self.report.peek(key)
            everyone = self.report_global.peek(EVERYONE)
            if not (own.allowed and everyone.allowed):
                waits = [d.retry_after for d in (own, everyone) if not d.allowed]
                return Decision(allowed=False, remaining=0, retry_after=max(waits))
            # Under the lock no other report can slip in between, and the clock
            # only moves forward, so both hits allow what the peeks allowed.
            own = self.report.hit(key)
            everyone = self.report_global.hit(EVERYONE)
            return Decision(
                allowed=own.allowed and everyone.allowed,
                remaining=min(own.remaining, everyone.remaining),
                retry_after=max(own.retry_after, everyone.retry_after),
            )
