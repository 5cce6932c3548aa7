"""Indicator values in the form cases store them (docs/alerts-api.md, the indicator table).

One function per type; each returns the stored form or raises
``InvalidIndicator`` with a message fit for a 400 answer. Cases own
indicators, so the one normaliser lives here: the alerts endpoint calls it
to refuse bad values up front, the import to get the values it stores, and
enforcement to name the IPs, networks and AS numbers an action targets, so
a target and the indicator it was seen as always agree.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from functools import lru_cache

import idna


class InvalidIndicator(ValueError):
    pass


ASN_MAX = 4294967295
_ASN = re.compile(r"(?:[Aa][Ss])?([0-9]{1,10})(?:\.([0-9]{1,5}))?")
# Plain ASCII host names need no IDNA processing beyond lower-casing.
_LDH_DOMAIN = re.compile(
    r"(?=.{1,253}\Z)(?!.*(?:^|\.)xn--)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z",
    re.IGNORECASE,
)
_MAPPED_V4 = ipaddress.IPv6Network("::ffff:0:0/96")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_PLAIN_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}\Z")


def _trimmed(value: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidIndicator("must not be empty or only white space")
    return value


def normalise_ip(value: str) -> str:
    if _PLAIN_IPV4.match(value):
        return value  # already canonical: no leading zeros, no spaces
    text = value.strip()
    if "%" in text:
        raise InvalidIndicator("an IP address with a zone index is not accepted")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        # ipaddress refuses IPv4 with leading zeros (ambiguous octal forms).
        raise InvalidIndicator(f"not an IPv4 or IPv6 address: {value!r}") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


@lru_cache(maxsize=65536)
def normalise_cidr(value: str) -> str:
    text = value.strip()
    if "/" not in text:
        raise InvalidIndicator(f"not a network with a prefix length: {value!r}")
    if "%" in text:
        raise InvalidIndicator("a network with a zone index is not accepted")
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise InvalidIndicator(f"not an IPv4 or IPv6 network: {value!r}") from None
    if (
        isinstance(network, ipaddress.IPv6Network)
        and network.prefixlen >= 96
        and network.subnet_of(_MAPPED_V4)
    ):
        mapped = network.network_address.ipv4_mapped
        network = ipaddress.IPv4Network(f"{mapped}/{network.prefixlen - 96}")
    return str(network)


@lru_cache(maxsize=65536)
def normalise_asn(value: str) -> str:
    match = _ASN.fullmatch(value.strip())
    if not match:
        raise InvalidIndicator(f"not an AS number (AS64500, 64500 or asdot 1.10): {value!r}")
    high, low = match.groups()
    if low is None:
        number = int(high)
    else:
        if int(high) > 65535 or int(low) > 65535:
            raise InvalidIndicator(f"asdot parts must be 0-65535: {value!r}")
        number = int(high) * 65536 + int(low)
    if number > ASN_MAX:
        raise InvalidIndicator(f"AS number out of range 0-{ASN_MAX}: {value!r}")
    return f"AS{number}"


@lru_cache(maxsize=65536)
def _idna(domain: str) -> str:
    try:
        return idna.encode(domain, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError, ValueError):
        raise InvalidIndicator(f"not a valid domain name: {domain!r}") from None


@lru_cache(maxsize=65536)
def normalise_email_domain(value: str) -> str:
    domain = value.strip()
    if domain.endswith("."):
        domain = domain[:-1]
    if not domain:
        raise InvalidIndicator("must not be empty")
    if _LDH_DOMAIN.match(domain):
        return domain.lower()
    return _idna(domain)


def normalise_api_key_prefix(value: str) -> str:
    if not 6 <= len(value) <= 64:
        raise InvalidIndicator("an API key prefix is 6 to 64 characters")
    return value


def normalise_prompt_cluster(value: str, detector_name: str) -> str:
    """Cluster ids are the detector's own: two detectors' ``pc-1`` never match."""
    return f"{detector_name}/{_trimmed(value)}"


_BY_TYPE: dict[str, Callable[[str], str]] = {
    "ip": normalise_ip,
    "cidr": normalise_cidr,
    "asn": normalise_asn,
    "payment_fingerprint": _trimmed,
    "device_fingerprint": _trimmed,
    "email_domain": normalise_email_domain,
    "api_key_prefix": normalise_api_key_prefix,
    "user_agent": _trimmed,
}


def normalise(indicator_type: str, value: str, *, detector_name: str) -> str:
    """The stored form of ``value`` as an indicator of ``indicator_type``."""
    if indicator_type == "prompt_cluster":
        return normalise_prompt_cluster(value, detector_name)
    try:
        function = _BY_TYPE[indicator_type]
    except KeyError:
        raise InvalidIndicator(f"unknown indicator type {indicator_type!r}") from None
    return function(value)


def normalise_stored_form(indicator_type: str, value: str) -> str:
    """A value a person types as the case page shows it, in its stored form.

    The page shows a prompt cluster as ``<detector>/<cluster>``, the form the
    detector's own id takes once stored; every other type reads as it is sent.
    """
    if indicator_type == "prompt_cluster":
        detector, slash, cluster = _trimmed(value).partition("/")
        if not slash or not detector.strip() or not cluster.strip():
            raise InvalidIndicator(
                "a prompt cluster is written <detector>/<cluster>, e.g. scanner/pc-1"
            )
        return normalise_prompt_cluster(cluster, detector.strip())
    return normalise(indicator_type, value, detector_name="")
