"""Which peers may tell us a client's address in ``X-Forwarded-For`` (``TEM_TRUSTED_PROXIES``).

Forwarding headers are written by whoever sends the request, so they are honoured only
from a peer the operator named. Three spellings of the setting:

- off (unset, empty, ``0``, ``false``, ``no``, ``off``): never; the socket peer is the client.
- on (``1``, ``true``, ``yes``, ``on``): every peer is our proxy; the last hop of
  ``X-Forwarded-For`` is the client. Only safe when nothing but the proxy can reach Tem.
- a comma-separated list of addresses and networks (``127.0.0.1, 10.0.0.0/8, ::1``): the
  header is honoured only when the socket peer is in the list, and the client is the
  right-most address of the header that is not itself one of the listed proxies.

This module is pure: no settings, no HTTP library.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_ON = frozenset({"1", "true", "yes", "on"})
_OFF = frozenset({"", "0", "false", "no", "off"})


def parse_address(text: str | None) -> Address | None:
    """``text`` as a canonical address (IPv4-mapped IPv6 as IPv4), or ``None`` when invalid."""
    if text is None:
        return None
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True)
class TrustedProxies:
    """The parsed ``TEM_TRUSTED_PROXIES``; false when forwarding headers are never honoured."""

    trust_all: bool = False
    networks: tuple[Network, ...] = ()

    def __bool__(self) -> bool:
        return self.trust_all or bool(self.networks)

    @classmethod
    def parse(cls, value: object) -> TrustedProxies:
        """Read the setting from a bool, a string or a list of addresses/networks.

        Raises:
            ValueError: an entry is neither a boolean word nor an address or network.
        """
        if isinstance(value, TrustedProxies):
            return value
        if isinstance(value, bool):
            return cls(trust_all=value)
        if value is None:
            return cls()
        if isinstance(value, str):
            word = value.strip().lower()
            if word in _ON:
                return cls(trust_all=True)
            if word in _OFF:
                return cls()
            entries: list[object] = [e for e in value.split(",") if e.strip()]
        elif isinstance(value, list | tuple):
            entries = list(value)
        else:
            raise ValueError("give true, false, or a comma-separated list of addresses/networks")
        networks: list[Network] = []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
            except ValueError:
                raise ValueError(
                    f"{str(entry).strip()!r} is not an IP address or network (e.g. 10.0.0.0/8)"
                ) from None
        return cls(networks=tuple(networks))

    def trusts(self, address: Address) -> bool:
        """Whether ``address`` is one of our proxies."""
        if self.trust_all:
            return True
        return any(address.version == n.version and address in n for n in self.networks)

    def client(self, peer: str | None, forwarded_for: str | None) -> Address | None:
        """The client's address: the peer, or what our proxies say in ``X-Forwarded-For``.

        ``forwarded_for`` is every ``X-Forwarded-For`` line joined with ``", "`` in order.
        Without trust the header is ignored. With ``trust_all`` the last hop is the client.
        With a list, the header counts only when ``peer`` is a listed proxy; it is read from
        the right, skipping listed proxies, and the first other address is the client. An
        invalid entry stops the walk: the last trusted hop's view is kept.
        """
        address = parse_address(peer)
        if not self or not forwarded_for:
            return address
        hops = forwarded_for.split(",")
        if self.trust_all:
            last = parse_address(hops[-1])
            return last if last is not None else address
        if address is None or not self.trusts(address):
            return address
        for hop in reversed(hops):
            parsed = parse_address(hop)
            if parsed is None:
                return address
            address = parsed
            if not self.trusts(parsed):
                return parsed
        return address

    def __str__(self) -> str:
        if self.trust_all:
            return "true"
        return ",".join(str(n) for n in self.networks) or "false"
