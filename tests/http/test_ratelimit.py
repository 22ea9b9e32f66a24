"""Rate limits on the public endpoints: budgets, windows, memory, and client identity without IPs."""

from __future__ import annotations

import ipaddress
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tem.http.ratelimit import Decision, Limits, RateLimiter, client_ip, client_key

SECRET = b"test secret for client keys, 32+"


class FakeClock:
    """Seconds that move only when the test says so."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# RateLimiter


def test_allowed_up_to_the_limit_then_refused_with_the_wait() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, 60, clock=clock)

    assert [limiter.hit("a") for _ in range(3)] == [
        Decision(allowed=True, remaining=2, retry_after=0),
        Decision(allowed=True, remaining=1, retry_after=0),
        Decision(allowed=True, remaining=0, retry_after=0),
    ]
    # One request in 20 s comes back; none has yet.
    assert limiter.hit("a") == Decision(allowed=False, remaining=0, retry_after=20)
    clock.advance(12.5)
    assert limiter.hit("a") == Decision(
        allowed=False, remaining=0, retry_after=8
    )  # 7.5 s, rounded up
    clock.advance(7.4)
    assert limiter.hit("a") == Decision(allowed=False, remaining=0, retry_after=1)  # 0.1 s → 1


def test_refused_requests_do_not_push_the_reopening_further_away() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, 10, clock=clock)
    limiter.hit("a")
    limiter.hit("a")
    for _ in range(50):
        assert limiter.hit("a").retry_after == 5
    clock.advance(5)
    assert limiter.hit("a").allowed


def test_window_slides_and_allows_again() -> None:
    clock = FakeClock()
    limiter = RateLimiter(60, 60, clock=clock)
    for _ in range(60):
        assert limiter.hit("a").allowed
    assert not limiter.hit("a").allowed

    clock.advance(1)  # one request's worth of the window has slid past
    assert limiter.hit("a") == Decision(allowed=True, remaining=0, retry_after=0)
    assert not limiter.hit("a").allowed

    clock.advance(60)  # a whole window: the whole budget is back
    decisions = [limiter.hit("a") for _ in range(61)]
    assert [d.allowed for d in decisions].count(True) == 60
    assert decisions[0].remaining == 59


def test_a_burst_is_the_whole_limit_even_when_the_window_does_not_divide_evenly() -> None:
    limiter = RateLimiter(7, 60, clock=FakeClock(0.1))
    assert [limiter.hit("a").allowed for _ in range(8)] == [True] * 7 + [False]


def test_separate_keys_are_independent() -> None:
    limiter = RateLimiter(2, 60, clock=FakeClock())
    assert limiter.hit("a").allowed
    assert limiter.hit("a").allowed
    assert not limiter.hit("a").allowed
    assert limiter.hit("b") == Decision(allowed=True, remaining=1, retry_after=0)


def test_peek_does_not_consume_or_track() -> None:
    limiter = RateLimiter(1, 60, clock=FakeClock())
    assert limiter.peek("a") == Decision(allowed=True, remaining=0, retry_after=0)
    assert limiter.peek("a").allowed
    assert len(limiter) == 0
    assert limiter.hit("a").allowed
    assert limiter.peek("a") == Decision(allowed=False, remaining=0, retry_after=60)
    assert limiter.hit("a") == limiter.peek("a")


def test_lru_eviction_keeps_memory_bounded() -> None:
    limiter = RateLimiter(1, 60, max_keys=3, clock=FakeClock())
    for key in ("a", "b", "c"):
        assert limiter.hit(key).allowed
    assert not limiter.hit("a").allowed  # "a" is now the most recently seen

    assert limiter.hit("d").allowed
    assert len(limiter) == 3
    # "b" was the least recently seen: forgotten, so it has a fresh budget...
    assert limiter.hit("b").allowed  # ...and taking it back evicts "c"
    assert len(limiter) == 3
    # ...while the recently seen ones are still held to theirs.
    assert not limiter.hit("a").allowed
    assert not limiter.hit("d").allowed
    assert limiter.hit("c").allowed

    for n in range(1000):
        limiter.hit(f"flood-{n}")
    assert len(limiter) == 3


def test_clients_whose_budget_has_refilled_are_forgotten() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, 10, clock=clock)
    limiter.hit("a")
    limiter.hit("b")
    assert len(limiter) == 2
    clock.advance(10)
    limiter.hit("c")
    assert len(limiter) == 1


@pytest.mark.parametrize(
    ("limit", "window", "max_keys"), [(0, 60, 10), (5, 0, 10), (5, -1, 10), (5, 60, 0)]
)
def test_nonsense_settings_are_refused(limit: int, window: float, max_keys: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        RateLimiter(limit, window, max_keys=max_keys)


def test_thread_safety_exactly_the_limit_is_allowed() -> None:
    limiter = RateLimiter(5000, 60, clock=FakeClock())
    allowed = [0] * 8
    start = threading.Barrier(8)

    def worker(index: int) -> None:
        start.wait()
        for _ in range(1000):
            if limiter.hit("shared").allowed:
                allowed[index] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(allowed) == 5000


@settings(max_examples=300, deadline=None)
@given(
    limit=st.integers(1, 10),
    window=st.sampled_from([1.0, 7.0, 60.0, 3600.0]),
    gaps=st.lists(st.floats(0, 2, allow_nan=False), min_size=1, max_size=200),
)
def test_never_more_than_the_burst_plus_the_refill(
    limit: int, window: float, gaps: list[float]
) -> None:
    # The GCRA bound: over any stretch of time t, at most limit + t * limit / window
    # requests pass (a full burst, then one per window / limit seconds).
    clock = FakeClock(0)
    limiter = RateLimiter(limit, window, clock=clock)
    allowed_at: list[float] = []
    for gap in gaps:
        clock.advance(gap * window / limit)
        decision = limiter.hit("a")
        assert (decision.retry_after == 0) if decision.allowed else (decision.retry_after >= 1)
        if decision.allowed:
            allowed_at.append(clock.now)
    for first, start in enumerate(allowed_at):
        for last in range(first, len(allowed_at)):
            stretch = allowed_at[last] - start
            assert last - first + 1 <= limit + stretch * limit / window + 1e-6


def test_worst_placed_window_sees_a_burst_and_its_refill() -> None:
    # What "limit per window" means for a token bucket, pinned down: 2 per 10 s
    # lets 2 through at once and one more every 5 s, so 3 within one 10 s window.
    clock = FakeClock()
    limiter = RateLimiter(2, 10, clock=clock)
    assert limiter.hit("a").allowed
    assert limiter.hit("a").allowed
    clock.advance(5)
    assert limiter.hit("a").allowed
    assert not limiter.hit("a").allowed


# client_key


def key(ip: str | None) -> str:
    return client_key(ip, SECRET)


def test_client_key_is_a_short_hex_name_stable_per_secret() -> None:
    name = key("203.0.113.7")
    assert len(name) == 32
    int(name, 16)
    assert key("203.0.113.7") == name
    assert key(" 203.0.113.7 ") == name
    assert key("203.0.113.8") != name
    assert client_key("203.0.113.7", b"another secret") != name


@pytest.mark.parametrize(
    "ip", ["203.0.113.7", "10.0.0.1", "2001:db8:1:2:3:4:5:6", "::1", "fe80::1%eth0"]
)
def test_client_key_never_contains_the_ip(ip: str) -> None:
    name = key(ip)
    address = ipaddress.ip_address(ip.split("%")[0])
    for form in (ip, str(address), address.exploded, *ip.split(".")[1:], *ip.split(":")[1:]):
        if len(form) >= 3:  # shorter fragments appear in any hex string
            assert form not in name


def test_ipv6_addresses_in_one_64_are_one_client() -> None:
    assert key("2001:db8:aa:bb::1") == key("2001:db8:aa:bb:ffff:ffff:ffff:fffe")
    assert key("2001:db8:aa:bb::1") == key("2001:0db8:00aa:00bb:0000:0000:0000:0001")
    assert key("2001:db8:aa:bb::1") != key("2001:db8:aa:bc::1")
    assert key("fe80::1%eth0") == key("fe80::2")


def test_ipv4_mapped_ipv6_is_its_ipv4_address_not_one_shared_64() -> None:
    # A dual-stack socket reports every IPv4 client inside ::ffff:0:0/96; grouping
    # them by /64 would put the whole IPv4 internet in one bucket.
    assert key("::ffff:203.0.113.7") == key("203.0.113.7")
    assert key("::ffff:203.0.113.7") != key("::ffff:198.51.100.1")


@pytest.mark.parametrize(
    "ip", [None, "", "not an ip", "203.0.113.256", "01.2.3.4", "2001:db8::g", "1.2.3.4:80"]
)
def test_invalid_ip_is_the_unknown_client(ip: str | None) -> None:
    assert key(ip) == "unknown"


def test_client_key_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="secret"):
        client_key("203.0.113.7", b"")


@settings(max_examples=300)
@given(st.one_of(st.none(), st.text(max_size=60), st.ip_addresses().map(str)))
def test_fuzz_client_key(ip: str | None) -> None:
    name = key(ip)
    assert name == "unknown" or (len(name) == 32 and int(name, 16) >= 0)


# client_ip


def test_without_a_trusted_proxy_the_socket_peer_counts_and_headers_are_ignored() -> None:
    assert client_ip("203.0.113.7", None, trust_proxy=False) == "203.0.113.7"
    # A client writing its own X-Forwarded-For to borrow someone else's budget.
    assert client_ip("203.0.113.7", "198.51.100.1", trust_proxy=False) == "203.0.113.7"
    assert client_ip("203.0.113.7", "1.1.1.1, 2.2.2.2", trust_proxy=False) == "203.0.113.7"


def test_behind_our_proxy_only_the_last_hop_counts() -> None:
    # The client sent "X-Forwarded-For: 198.51.100.1, 10.9.9.9"; our proxy appended
    # the address it saw. Only that last one is ours.
    spoofed = "198.51.100.1, 10.9.9.9, 203.0.113.7"
    assert client_ip("127.0.0.1", spoofed, trust_proxy=True) == "203.0.113.7"
    assert client_ip("127.0.0.1", "203.0.113.7", trust_proxy=True) == "203.0.113.7"
    assert client_ip("127.0.0.1", "2001:DB8::0001", trust_proxy=True) == "2001:db8::1"


@pytest.mark.parametrize("forwarded_for", [None, "", "198.51.100.1, garbage", "203.0.113.7,"])
def test_behind_our_proxy_a_bad_last_hop_falls_back_to_the_peer(forwarded_for: str | None) -> None:
    assert client_ip("127.0.0.1", forwarded_for, trust_proxy=True) == "127.0.0.1"


def test_no_usable_address_is_none() -> None:
    assert client_ip(None, None, trust_proxy=False) is None
    assert client_ip("testclient", "203.0.113.7", trust_proxy=False) is None
    assert client_ip(None, "garbage", trust_proxy=True) is None


@settings(max_examples=300)
@given(st.one_of(st.none(), st.text(max_size=40)), st.one_of(st.none(), st.text(max_size=80)))
def test_fuzz_client_ip(peer: str | None, forwarded_for: str | None) -> None:
    for trust_proxy in (False, True):
        found = client_ip(peer, forwarded_for, trust_proxy=trust_proxy)
        if found is not None:
            assert str(ipaddress.ip_address(found)) == found


# Limits


def test_scan_limit_is_per_client() -> None:
    limits = Limits(SECRET, scan_per_minute=2, clock=FakeClock())
    assert limits.check_scan("203.0.113.7").allowed
    assert limits.check_scan("203.0.113.7").allowed
    refused = limits.check_scan("203.0.113.7")
    assert refused == Decision(allowed=False, remaining=0, retry_after=30)
    assert limits.check_scan("198.51.100.1").allowed


def test_default_limits() -> None:
    limits = Limits(SECRET, clock=FakeClock())
    assert [limits.check_scan("203.0.113.7").allowed for _ in range(61)].count(True) == 60
    assert [limits.check_report("203.0.113.7").allowed for _ in range(6)].count(True) == 5
    assert limits.check_report("203.0.113.7").retry_after == 720  # one report per 12 minutes


def test_report_limit_is_per_client_and_server_wide() -> None:
    clock = FakeClock()
    limits = Limits(SECRET, reports_per_hour=2, reports_global_per_hour=5, clock=clock)
    assert limits.check_report("10.0.0.1") == Decision(allowed=True, remaining=1, retry_after=0)
    assert limits.check_report("10.0.0.1").allowed
    assert limits.check_report("10.0.0.1") == Decision(allowed=False, remaining=0, retry_after=1800)
    for n in (2, 3, 4):
        assert limits.check_report(f"10.0.0.{n}").allowed
    # Five reports in: a fresh client is refused by the server-wide budget.
    assert limits.check_report("10.0.0.5") == Decision(allowed=False, remaining=0, retry_after=720)


def test_refused_clients_do_not_spend_the_global_budget() -> None:
    limits = Limits(SECRET, reports_per_hour=1, reports_global_per_hour=3, clock=FakeClock())
    assert limits.check_report("10.0.0.1").allowed
    for _ in range(100):
        assert not limits.check_report("10.0.0.1").allowed
    # Only one report was accepted, so two more clients still fit.
    assert limits.check_report("10.0.0.2").allowed
    assert limits.check_report("10.0.0.3").allowed
    assert not limits.check_report("10.0.0.4").allowed


def test_reports_refused_server_wide_do_not_spend_the_clients_budget() -> None:
    clock = FakeClock()
    limits = Limits(SECRET, reports_per_hour=1, reports_global_per_hour=1, clock=clock)
    assert limits.check_report("10.0.0.1").allowed
    assert not limits.check_report("10.0.0.2").allowed  # refused server-wide
    clock.advance(3600)
    assert limits.check_report("10.0.0.2").allowed


def test_limits_keep_no_raw_ip() -> None:
    limits = Limits(SECRET, clock=FakeClock())
    limits.check_scan("203.0.113.7")
    limits.check_report("2001:db8:aa:bb::1")
    held = repr(vars(limits.scan)) + repr(vars(limits.report)) + repr(vars(limits.report_global))
    assert "203.0.113" not in held
    assert "2001:db8" not in held
