"""Indicator normalisation: the contract's table, value by value."""

from __future__ import annotations

import pytest

from cases.indicator_values import InvalidIndicator, normalise

NORMALISED = [
    ("ip", "192.0.2.1", "192.0.2.1"),
    ("ip", " 192.0.2.1 ", "192.0.2.1"),
    ("ip", "2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
    ("ip", "::ffff:192.0.2.1", "192.0.2.1"),
    ("ip", "::FFFF:c000:0201", "192.0.2.1"),
    ("ip", "::1", "::1"),
    ("cidr", "203.0.113.7/24", "203.0.113.0/24"),
    ("cidr", "203.0.113.0/24", "203.0.113.0/24"),
    ("cidr", "2001:db8::1/32", "2001:db8::/32"),
    ("cidr", "::ffff:192.0.2.0/120", "192.0.2.0/24"),
    ("cidr", "192.0.2.1/32", "192.0.2.1/32"),
    ("asn", "AS64500", "AS64500"),
    ("asn", "as64500", "AS64500"),
    ("asn", "64500", "AS64500"),
    ("asn", "1.10", "AS65546"),
    ("asn", "AS1.10", "AS65546"),
    ("asn", "0", "AS0"),
    ("asn", "4294967295", "AS4294967295"),
    ("asn", "65535.65535", "AS4294967295"),
    ("payment_fingerprint", "  pf_77ab ", "pf_77ab"),
    ("device_fingerprint", "\tdf-1\n", "df-1"),
    ("email_domain", "Example.NET", "example.net"),
    ("email_domain", "example.net.", "example.net"),
    ("email_domain", "Bücher.example", "xn--bcher-kva.example"),
    ("email_domain", "faß.de", "xn--fa-hia.de"),
    ("email_domain", "XN--BCHER-KVA.example", "xn--bcher-kva.example"),
    ("email_domain", "\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com", "example.com"),  # full-width
    ("api_key_prefix", " sk-ant", " sk-ant"),
    ("api_key_prefix", "sk-ant-api03-AbCd", "sk-ant-api03-AbCd"),
    ("prompt_cluster", "pc-5531", "scanner/pc-5531"),
    ("prompt_cluster", " pc-5531 ", "scanner/pc-5531"),
    ("user_agent", "  python-requests/2.32  ", "python-requests/2.32"),
]


@pytest.mark.parametrize(("kind", "value", "expected"), NORMALISED)
def test_it_normalises(kind, value, expected):
    assert normalise(kind, value, detector_name="scanner") == expected


INVALID = [
    ("ip", "010.1.1.1"),
    ("ip", "192.0.2.01"),
    ("ip", "256.1.1.1"),
    ("ip", "192.0.2"),
    ("ip", "192.0.2.1/32"),
    ("ip", "fe80::1%eth0"),
    ("ip", "example.net"),
    ("cidr", "203.0.113.0"),
    ("cidr", "203.0.113.0/33"),
    ("cidr", "010.0.113.0/24"),
    ("cidr", "net/24"),
    ("asn", "AS4294967296"),
    ("asn", "-1"),
    ("asn", "AS"),
    ("asn", "65536.1"),
    ("asn", "1.65536"),
    ("asn", "AS 64500"),
    ("asn", "٦٤٥٠٠"),
    ("email_domain", "user@example.net"),
    ("email_domain", "exa mple.net"),
    ("email_domain", "xn--zz.example"),
    ("email_domain", "a" * 64 + ".example"),
    ("email_domain", "."),
    ("api_key_prefix", "sk-12"),
    ("api_key_prefix", "k" * 65),
    ("payment_fingerprint", "   "),
    ("prompt_cluster", " "),
    ("user_agent", ""),
]


@pytest.mark.parametrize(("kind", "value"), INVALID)
def test_it_refuses_an_invalid_value(kind, value):
    with pytest.raises(InvalidIndicator):
        normalise(kind, value, detector_name="scanner")


def test_prompt_clusters_of_two_detectors_never_match():
    first = normalise("prompt_cluster", "pc-1", detector_name="scanner")
    second = normalise("prompt_cluster", "pc-1", detector_name="traffic")
    assert first != second
