"""RFC 9421 HTTP Message Signatures: the RFC's examples, our signer, and the refusal rules."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from federation.errors import KeyNotFoundError, SignatureError
from federation.signatures import (
    MessageSignature,
    RequestParts,
    VerifiedRequest,
    load_private_key,
    load_public_key,
    parse_signature_headers,
    public_key_pem,
    sign_rfc9421,
    signature_base,
    verify_content_digest,
    verify_message_signature,
    verify_request,
)
from federation.signatures.headers import normalize_authority
from federation.signatures.rfc9421 import SignatureInput, component_value, create_signature
from federation.signatures.structured import (
    InnerList,
    Item,
    StructuredFieldError,
    Token,
    parse_dictionary,
    parse_item,
    serialize_inner_list,
    serialize_item,
)

ALICE = "https://remote.example/users/alice"
ALICE_KEY = f"{ALICE}#main-key"

# --- RFC 9421 Appendix B.1: the test keys --------------------------------------------------

# B.1.1 test-key-rsa (RSASSA-PKCS1-v1_5), PKCS#1.
TEST_KEY_RSA_PRIVATE = """-----BEGIN RSA PRIVATE KEY-----
MIIEqAIBAAKCAQEAhAKYdtoeoy8zcAcR874L8cnZxKzAGwd7v36APp7Pv6Q2jdsP
BRrwWEBnez6d0UDKDwGbc6nxfEXAy5mbhgajzrw3MOEt8uA5txSKobBpKDeBLOsd
JKFqMGmXCQvEG7YemcxDTRPxAleIAgYYRjTSd/QBwVW9OwNFhekro3RtlinV0a75
jfZgkne/YiktSvLG34lw2zqXBDTC5NHROUqGTlML4PlNZS5Ri2U4aCNx2rUPRcKI
lE0PuKxI4T+HIaFpv8+rdV6eUgOrB2xeI1dSFFn/nnv5OoZJEIB+VmuKn3DCUcCZ
SFlQPSXSfBDiUGhwOw76WuSSsf1D4b/vLoJ10wIDAQABAoIBAG/JZuSWdoVHbi56
vjgCgkjg3lkO1KrO3nrdm6nrgA9P9qaPjxuKoWaKO1cBQlE1pSWp/cKncYgD5WxE
CpAnRUXG2pG4zdkzCYzAh1i+c34L6oZoHsirK6oNcEnHveydfzJL5934egm6p8DW
+m1RQ70yUt4uRc0YSor+q1LGJvGQHReF0WmJBZHrhz5e63Pq7lE0gIwuBqL8SMaA
yRXtK+JGxZpImTq+NHvEWWCu09SCq0r838ceQI55SvzmTkwqtC+8AT2zFviMZkKR
Qo6SPsrqItxZWRty2izawTF0Bf5S2VAx7O+6t3wBsQ1sLptoSgX3QblELY5asI0J
YFz7LJECgYkAsqeUJmqXE3LP8tYoIjMIAKiTm9o6psPlc8CrLI9CH0UbuaA2JCOM
cCNq8SyYbTqgnWlB9ZfcAm/cFpA8tYci9m5vYK8HNxQr+8FS3Qo8N9RJ8d0U5Csw
DzMYfRghAfUGwmlWj5hp1pQzAuhwbOXFtxKHVsMPhz1IBtF9Y8jvgqgYHLbmyiu1
mwJ5AL0pYF0G7x81prlARURwHo0Yf52kEw1dxpx+JXER7hQRWQki5/NsUEtv+8RT
qn2m6qte5DXLyn83b1qRscSdnCCwKtKWUug5q2ZbwVOCJCtmRwmnP131lWRYfj67
B/xJ1ZA6X3GEf4sNReNAtaucPEelgR2nsN0gKQKBiGoqHWbK1qYvBxX2X3kbPDkv
9C+celgZd2PW7aGYLCHq7nPbmfDV0yHcWjOhXZ8jRMjmANVR/eLQ2EfsRLdW69bn
f3ZD7JS1fwGnO3exGmHO3HZG+6AvberKYVYNHahNFEw5TsAcQWDLRpkGybBcxqZo
81YCqlqidwfeO5YtlO7etx1xLyqa2NsCeG9A86UjG+aeNnXEIDk1PDK+EuiThIUa
/2IxKzJKWl1BKr2d4xAfR0ZnEYuRrbeDQYgTImOlfW6/GuYIxKYgEKCFHFqJATAG
IxHrq1PDOiSwXd2GmVVYyEmhZnbcp8CxaEMQoevxAta0ssMK3w6UsDtvUvYvF22m
qQKBiD5GwESzsFPy3Ga0MvZpn3D6EJQLgsnrtUPZx+z2Ep2x0xc5orneB5fGyF1P
WtP+fG5Q6Dpdz3LRfm+KwBCWFKQjg7uTxcjerhBWEYPmEMKYwTJF5PBG9/ddvHLQ
EQeNC8fHGg4UXU8mhHnSBt3EA10qQJfRDs15M38eG2cYwB1PZpDHScDnDA0=
-----END RSA PRIVATE KEY-----
"""
TEST_KEY_RSA_PUBLIC = """-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAhAKYdtoeoy8zcAcR874L8cnZxKzAGwd7v36APp7Pv6Q2jdsPBRrw
WEBnez6d0UDKDwGbc6nxfEXAy5mbhgajzrw3MOEt8uA5txSKobBpKDeBLOsdJKFq
MGmXCQvEG7YemcxDTRPxAleIAgYYRjTSd/QBwVW9OwNFhekro3RtlinV0a75jfZg
kne/YiktSvLG34lw2zqXBDTC5NHROUqGTlML4PlNZS5Ri2U4aCNx2rUPRcKIlE0P
uKxI4T+HIaFpv8+rdV6eUgOrB2xeI1dSFFn/nnv5OoZJEIB+VmuKn3DCUcCZSFlQ
PSXSfBDiUGhwOw76WuSSsf1D4b/vLoJ10wIDAQAB
-----END RSA PUBLIC KEY-----
"""
# B.1.2 test-key-rsa-pss.
TEST_KEY_RSA_PSS_PUBLIC = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr4tmm3r20Wd/PbqvP1s2
+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry53mm+
oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7OyrFAHq
gDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUAAN5W
Utzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw9lq4
aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oyc6XI
2wIDAQAB
-----END PUBLIC KEY-----
"""
TEST_KEY_RSA_PSS_PRIVATE = """-----BEGIN PRIVATE KEY-----
MIIEvgIBADALBgkqhkiG9w0BAQoEggSqMIIEpgIBAAKCAQEAr4tmm3r20Wd/Pbqv
P1s2+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry5
3mm+oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7Oyr
FAHqgDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUA
AN5WUtzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw
9lq4aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oy
c6XI2wIDAQABAoIBAQCUB8ip+kJiiZVKF8AqfB/aUP0jTAqOQewK1kKJ/iQCXBCq
pbo360gvdt05H5VZ/RDVkEgO2k73VSsbulqezKs8RFs2tEmU+JgTI9MeQJPWcP6X
aKy6LIYs0E2cWgp8GADgoBs8llBq0UhX0KffglIeek3n7Z6Gt4YFge2TAcW2WbN4
XfK7lupFyo6HHyWRiYHMMARQXLJeOSdTn5aMBP0PO4bQyk5ORxTUSeOciPJUFktQ
HkvGbym7KryEfwH8Tks0L7WhzyP60PL3xS9FNOJi9m+zztwYIXGDQuKM2GDsITeD
2mI2oHoPMyAD0wdI7BwSVW18p1h+jgfc4dlexKYRAoGBAOVfuiEiOchGghV5vn5N
RDNscAFnpHj1QgMr6/UG05RTgmcLfVsI1I4bSkbrIuVKviGGf7atlkROALOG/xRx
DLadgBEeNyHL5lz6ihQaFJLVQ0u3U4SB67J0YtVO3R6lXcIjBDHuY8SjYJ7Ci6Z6
vuDcoaEujnlrtUhaMxvSfcUJAoGBAMPsCHXte1uWNAqYad2WdLjPDlKtQJK1diCm
rqmB2g8QE99hDOHItjDBEdpyFBKOIP+NpVtM2KLhRajjcL9Ph8jrID6XUqikQuVi
4J9FV2m42jXMuioTT13idAILanYg8D3idvy/3isDVkON0X3UAVKrgMEne0hJpkPL
FYqgetvDAoGBAKLQ6JZMbSe0pPIJkSamQhsehgL5Rs51iX4m1z7+sYFAJfhvN3Q/
OGIHDRp6HjMUcxHpHw7U+S1TETxePwKLnLKj6hw8jnX2/nZRgWHzgVcY+sPsReRx
NJVf+Cfh6yOtznfX00p+JWOXdSY8glSSHJwRAMog+hFGW1AYdt7w80XBAoGBAImR
NUugqapgaEA8TrFxkJmngXYaAqpA0iYRA7kv3S4QavPBUGtFJHBNULzitydkNtVZ
3w6hgce0h9YThTo/nKc+OZDZbgfN9s7cQ75x0PQCAO4fx2P91Q+mDzDUVTeG30mE
t2m3S0dGe47JiJxifV9P3wNBNrZGSIF3mrORBVNDAoGBAI0QKn2Iv7Sgo4T/XjND
dl2kZTXqGAk8dOhpUiw/HdM3OGWbhHj2NdCzBliOmPyQtAr770GITWvbAI+IRYyF
S7Fnk6ZVVVHsxjtaHy1uJGFlaZzKR4AGNaUTOJMs6NadzCmGPAxNQQOCqoUjn4XR
rOjr9w349JooGXhOxbu8nOxX
-----END PRIVATE KEY-----
"""
# B.1.4 test-key-ed25519.
TEST_KEY_ED25519_PRIVATE = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----
"""
TEST_KEY_ED25519_PUBLIC = """-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----
"""

# --- B.2: test-request ---------------------------------------------------------------------

REQUEST_BODY = b'{"hello": "world"}'
REQUEST_DIGEST = (
    "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+"
    "AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
)
REQUEST_HEADERS = {
    "Host": "example.com",
    "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
    "Content-Type": "application/json",
    "Content-Digest": REQUEST_DIGEST,
    "Content-Length": "18",
}
TEST_REQUEST = RequestParts.from_request("POST", "/foo?param=Value&Pet=dog", REQUEST_HEADERS)

B21_INPUT = 'sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"'
B21_SIGNATURE = (
    "sig-b21=:d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgG"
    "xbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhz"
    "x2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5Tmc"
    "AnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==:"
)
B22_INPUT = (
    'sig-b22=("@authority" "content-digest" "@query-param";name="Pet")'
    ';created=1618884473;keyid="test-key-rsa-pss";tag="header-example"'
)
B22_SIGNATURE = (
    "sig-b22=:LjbtqUbfmvjj5C5kr1Ugj4PmLYvx9wVjZvD9GsTT4F7GrcQEdJzgI9qHxICagShLRiLMlAJjtq6N4CDfKtjv"
    "uJyE5qH7KT8UCMkSowOB4+ECxCmT8rtAmj/0PIXxi0A0nxKyB09RNrCQibbUjsLS/2YyFYXEu4TRJQzRw1rLEuEfY17S"
    "ARYhpTlaqwZVtR8NV7+4UKkjqpcAoFqWFQh62s7Cl+H2fjBSpqfZUJcsIk4N6wiKYd4je2U/lankenQ99PZfB4jY3I5r"
    "SV2DSBVkSFsURIjYErOs0tFTQosMTAoxk//0RoKUqiYY8Bh0aaUEb0rQl3/XaVe4bXTugEjHSw==:"
)
B23_INPUT = (
    'sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" '
    '"content-length");created=1618884473;keyid="test-key-rsa-pss"'
)
B23_SIGNATURE = (
    "sig-b23=:bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683"
    "+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH"
    "1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8"
    "LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==:"
)
B26_INPUT = (
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)
B26_SIGNATURE = (
    "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQ"
    "CK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"
)


def one(signature_input: str, signature: str) -> Any:
    [parsed] = parse_signature_headers(signature_input, signature)
    return parsed


def test_b21_minimal_rsa_pss_signature_verifies() -> None:
    sig = one(B21_INPUT, B21_SIGNATURE)
    assert signature_base(sig.input, TEST_REQUEST) == (
        '"@signature-params": ();created=1618884473;keyid="test-key-rsa-pss"'
        ';nonce="b3k2pp5k7z-50gnwp.yemd"'
    )
    # No alg parameter: the RSA key is tried as rsa-v1_5-sha256, then rsa-pss-sha512.
    assert verify_message_signature(sig, TEST_REQUEST, load_public_key(TEST_KEY_RSA_PSS_PUBLIC))


def test_b22_selective_components_verify() -> None:
    sig = one(B22_INPUT, B22_SIGNATURE)
    assert signature_base(sig.input, TEST_REQUEST) == "\n".join(
        [
            '"@authority": example.com',
            f'"content-digest": {REQUEST_DIGEST}',
            '"@query-param";name="Pet": dog',
            '"@signature-params": ("@authority" "content-digest" "@query-param";name="Pet")'
            ';created=1618884473;keyid="test-key-rsa-pss";tag="header-example"',
        ]
    )
    assert verify_message_signature(sig, TEST_REQUEST, load_public_key(TEST_KEY_RSA_PSS_PUBLIC))


def test_b23_full_coverage_verifies() -> None:
    sig = one(B23_INPUT, B23_SIGNATURE)
    assert signature_base(sig.input, TEST_REQUEST) == "\n".join(
        [
            '"date": Tue, 20 Apr 2021 02:07:55 GMT',
            '"@method": POST',
            '"@path": /foo',
            '"@query": ?param=Value&Pet=dog',
            '"@authority": example.com',
            '"content-type": application/json',
            f'"content-digest": {REQUEST_DIGEST}',
            '"content-length": 18',
            '"@signature-params": ("date" "@method" "@path" "@query" "@authority" "content-type"'
            ' "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss"',
        ]
    )
    assert verify_message_signature(sig, TEST_REQUEST, load_public_key(TEST_KEY_RSA_PSS_PUBLIC))
    verify_content_digest(REQUEST_DIGEST, REQUEST_BODY)


def test_b23_fails_on_a_changed_component() -> None:
    sig = one(B23_INPUT, B23_SIGNATURE)
    changed = RequestParts.from_request("POST", "/foo?param=Value&Pet=cat", REQUEST_HEADERS)
    assert not verify_message_signature(sig, changed, load_public_key(TEST_KEY_RSA_PSS_PUBLIC))


def test_b26_ed25519_reproduces_the_published_signature() -> None:
    sig = one(B26_INPUT, B26_SIGNATURE)
    assert signature_base(sig.input, TEST_REQUEST) == "\n".join(
        [
            '"date": Tue, 20 Apr 2021 02:07:55 GMT',
            '"@method": POST',
            '"@path": /foo',
            '"@authority": example.com',
            '"content-type": application/json',
            '"content-length": 18',
            '"@signature-params": ("date" "@method" "@path" "@authority" "content-type"'
            ' "content-length");created=1618884473;keyid="test-key-ed25519"',
        ]
    )
    produced = create_signature(sig.input, TEST_REQUEST, load_private_key(TEST_KEY_ED25519_PRIVATE))
    assert produced == sig.signature
    assert f"sig-b26=:{base64.b64encode(produced).decode()}:" == B26_SIGNATURE
    assert verify_message_signature(sig, TEST_REQUEST, load_public_key(TEST_KEY_ED25519_PUBLIC))


def test_ed25519_test_keys_belong_together() -> None:
    private = load_private_key(TEST_KEY_ED25519_PRIVATE)
    assert public_key_pem(private) == TEST_KEY_ED25519_PUBLIC


# Section 4.3: a proxy re-signs the B.2 request with test-key-rsa (rsa-v1_5-sha256, deterministic).
PROXY_HEADERS = {
    "Host": "origin.host.internal.example",
    "Date": "Tue, 20 Apr 2021 02:07:56 GMT",
    "Content-Type": "application/json",
    "Content-Digest": REQUEST_DIGEST,
    "Content-Length": "18",
    "Forwarded": "for=192.0.2.123;host=example.com;proto=https",
}
PROXY_INPUT = (
    'proxy_sig=("@method" "@authority" "@path" "content-digest" "content-type" "content-length" '
    '"forwarded");created=1618884480;keyid="test-key-rsa";alg="rsa-v1_5-sha256";expires=1618884540'
)
PROXY_SIGNATURE = (
    "proxy_sig=:S6ZzPXSdAMOPjN/6KXfXWNO/f7V6cHm7BXYUh3YD/fRad4BCaRZxP+JH+8XY1I6+8Cy+CM5g92iHgxtRPz"
    "+MjniOaYmdkDcnL9cCpXJleXsOckpURl49GwiyUpZ10KHgOEe11sx3G2gxI8S0jnxQB+Pu68U9vVcasqOWAEObtNKKZd8"
    "tSFu7LB5YAv0RAGhB8tmpv7sFnIm9y+7X5kXQfi8NMaZaA8i2ZHwpBdg7a6CMfwnnrtflzvZdXAsD3LH2TwevU+/PBPv"
    "0B6NMNk93wUs/vfJvye+YuI87HU38lZHowtznbLVdp770I6VHR6WfgS9ddzirrswsE1w5o0LV/g==:"
)


def test_section_4_3_rsa_v1_5_sha256_reproduces_the_published_signature() -> None:
    request = RequestParts.from_request("POST", "/foo?param=Value&Pet=dog", PROXY_HEADERS)
    sig = one(PROXY_INPUT, PROXY_SIGNATURE)
    assert signature_base(sig.input, request) == "\n".join(
        [
            '"@method": POST',
            '"@authority": origin.host.internal.example',
            '"@path": /foo',
            f'"content-digest": {REQUEST_DIGEST}',
            '"content-type": application/json',
            '"content-length": 18',
            '"forwarded": for=192.0.2.123;host=example.com;proto=https',
            '"@signature-params": ("@method" "@authority" "@path" "content-digest" "content-type"'
            ' "content-length" "forwarded");created=1618884480;keyid="test-key-rsa"'
            ';alg="rsa-v1_5-sha256";expires=1618884540',
        ]
    )
    produced = create_signature(sig.input, request, load_private_key(TEST_KEY_RSA_PRIVATE))
    assert produced == sig.signature
    assert verify_message_signature(sig, request, load_public_key(TEST_KEY_RSA_PUBLIC))


def test_rsa_pss_sign_then_verify_with_the_rfc_key() -> None:
    """PSS is randomized: sign B.2.1's base afresh with the B.1.2 key and verify that."""
    try:
        private = load_private_key(TEST_KEY_RSA_PSS_PRIVATE)
    except KeyNotFoundError:  # pragma: no cover - cryptography too old for RSA-PSS PKCS#8
        pytest.skip("this cryptography cannot load RSASSA-PSS PKCS#8 keys")
    assert public_key_pem(private) == TEST_KEY_RSA_PSS_PUBLIC
    sig = one(B21_INPUT, B21_SIGNATURE)
    pss_input = SignatureInput(
        sig.label, sig.input.components, {**sig.input.params, "alg": "rsa-pss-sha512"}
    )
    produced = create_signature(pss_input, TEST_REQUEST, private)
    assert produced != sig.signature  # a fresh salt each time
    fresh = MessageSignature(pss_input, produced)
    assert verify_message_signature(fresh, TEST_REQUEST, load_public_key(TEST_KEY_RSA_PSS_PUBLIC))


# --- Section 2.2: derived components ------------------------------------------------------


@pytest.mark.parametrize(
    ("component", "target", "scheme", "expected"),
    [
        ("@method", "/path?param=value", "https", "POST"),
        ("@target-uri", "/path?param=value", "https", "https://www.example.com/path?param=value"),
        ("@authority", "/path?param=value", "https", "www.example.com"),
        ("@scheme", "/path?param=value", "http", "http"),
        ("@request-target", "/path?param=value", "https", "/path?param=value"),
        ("@path", "/path?param=value", "https", "/path"),
        ("@path", "", "https", "/"),
        (
            "@query",
            "/path?param=value&foo=bar&baz=bat%2Dman",
            "https",
            "?param=value&foo=bar&baz=bat%2Dman",
        ),
        ("@query", "/path?queryString", "https", "?queryString"),
        ("@query", "/path", "https", "?"),
    ],
)
def test_derived_components(component: str, target: str, scheme: str, expected: str) -> None:
    request = RequestParts.from_request("POST", target, {"Host": "www.example.com"}, scheme)
    assert component_value(Item(component), request) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("var", "this%20is%20a%20big%0Avalue"),
        ("bar", "with%20plus%20whitespace"),
        ("fa%C3%A7ade%22%3A%20", "something"),
    ],
)
def test_query_param_component(name: str, expected: str) -> None:
    target = (
        "/parameters?var=this%20is%20a%20big%0Avalue&bar=with+plus+whitespace"
        "&fa%C3%A7ade%22%3A%20=something"
    )
    request = RequestParts.from_request("GET", target, {"Host": "www.example.com"})
    assert component_value(Item("@query-param", {"name": name}), request) == expected


def test_authority_is_normalized() -> None:
    assert normalize_authority("Example.COM:443", "https") == "example.com"
    assert normalize_authority("example.com:80", "http") == "example.com"
    assert normalize_authority("example.com:443", "http") == "example.com:443"
    assert normalize_authority("127.0.0.1:8001", "http") == "127.0.0.1:8001"
    assert normalize_authority("[::1]:443", "https") == "[::1]"


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (Item("@status"), "unsupported derived component @status"),
        (Item("content-type", {"sf": True}), "unsupported component parameters on content-type"),
        (Item("x-missing"), "signed header x-missing is missing from the request"),
        (Item("@query-param"), "@query-param needs exactly a name parameter"),
        (Item("@query-param", {"name": "nope"}), "signed query parameter nope is missing"),
    ],
)
def test_component_refusals(item: Item, reason: str) -> None:
    with pytest.raises(SignatureError) as info:
        component_value(item, TEST_REQUEST)
    assert info.value.reason.startswith(reason)


def test_duplicate_component_is_refused() -> None:
    sig_input = SignatureInput("s", (Item("@method"), Item("@method")), {})
    with pytest.raises(SignatureError, match="covered twice"):
        signature_base(sig_input, TEST_REQUEST)


# --- RFC 8941 structured fields -----------------------------------------------------------


def test_structured_dictionary_parsing() -> None:
    parsed = parse_dictionary(
        'sig1=("@method" "content-digest";sf);created=1;keyid="a \\"b\\"";alg=rsa,  '
        "flag, d=:AAEC:;n=?0, pi=3.142, neg=-7"
    )
    sig1 = parsed["sig1"]
    assert isinstance(sig1, InnerList)
    assert sig1.items == (Item("@method"), Item("content-digest", {"sf": True}))
    assert sig1.params == {"created": 1, "keyid": 'a "b"', "alg": Token("rsa")}
    assert isinstance(sig1.params["alg"], Token)
    assert parsed["flag"] == Item(True)
    assert parsed["d"] == Item(b"\x00\x01\x02", {"n": False})
    assert parsed["pi"] == Item(3.142)
    assert parsed["neg"] == Item(-7)
    assert serialize_inner_list(sig1) == (
        '("@method" "content-digest";sf);created=1;keyid="a \\"b\\"";alg=rsa'
    )
    assert serialize_item(Item(b"\x00\x01\x02", {"n": False})) == ":AAEC:;n=?0"
    assert serialize_item(Item(2.5)) == "2.5"


@pytest.mark.parametrize(
    "text",
    [
        "a=1,",
        "a=(1 2",
        'a="unterminated',
        "A=1",
        "a=1 b=2",
        "a=:not base64!:",
        'a="caf\u00e9"',
        "a=?2",
        "a=1234567890123456",
        "a=1.2345",
        'a="bad \\x escape"',
    ],
)
def test_structured_dictionary_refusals(text: str) -> None:
    with pytest.raises(StructuredFieldError):
        parse_dictionary(text)


def test_structured_item() -> None:
    assert parse_item(' "x";a=1 ') == Item("x", {"a": 1})
    with pytest.raises(StructuredFieldError):
        parse_item('"x" y')


# --- our signer and verify_request --------------------------------------------------------

NOW = 1_700_000_000.0
ACTIVITY = b'{"type": "Create", "actor": "https://remote.example/users/alice"}'
INBOX = "https://school.example/users/bob/inbox"


def signed_post(private_pem: Any, body: bytes = ACTIVITY, **kwargs: Any) -> dict[str, str]:
    headers = {"Content-Type": "application/activity+json"}
    headers |= sign_rfc9421("POST", INBOX, headers, ALICE_KEY, private_pem, body, now=NOW, **kwargs)
    return headers


def test_signer_sends_fedify_shape(rsa_keypair: tuple[str, str]) -> None:
    headers = signed_post(rsa_keypair[0])
    assert headers["Signature-Input"] == (
        'sig1=("@method" "@target-uri" "@authority" "host" "date" "content-digest")'
        f';alg="rsa-v1_5-sha256";keyid="{ALICE_KEY}";created={int(NOW)}'
    )
    assert headers["Content-Digest"].startswith("sha-256=:")
    assert headers["Signature"].startswith("sig1=:")
    assert headers["Signature"].endswith(":")
    assert headers["Host"] == "school.example"


async def test_post_round_trip(rsa_keypair: tuple[str, str], make_resolver) -> None:
    headers = signed_post(rsa_keypair[0])
    resolver = make_resolver(rsa_keypair[1])
    result = await verify_request("POST", "/users/bob/inbox", headers, ACTIVITY, resolver, now=NOW)
    assert result == VerifiedRequest(key_id=ALICE_KEY, owner=ALICE, scheme="rfc9421")
    assert resolver.calls == [(ALICE_KEY, False)]


async def test_get_round_trip(rsa_keypair: tuple[str, str], make_resolver) -> None:
    url = "https://school.example/users/bob?x=1"
    headers = sign_rfc9421("GET", url, {}, ALICE_KEY, rsa_keypair[0], now=NOW)
    assert "Content-Digest" not in headers
    assert '("@method" "@target-uri" "@authority" "host" "date");' in headers["Signature-Input"]
    result = await verify_request(
        "GET", "/users/bob?x=1", headers, None, make_resolver(rsa_keypair[1]), now=NOW
    )
    assert result.scheme == "rfc9421"


async def test_http_loopback_needs_the_scheme(rsa_keypair: tuple[str, str], make_resolver) -> None:
    url = "http://127.0.0.1:8001/users/bob/inbox"
    headers = sign_rfc9421("POST", url, {}, ALICE_KEY, rsa_keypair[0], ACTIVITY, now=NOW)
    resolver = make_resolver(rsa_keypair[1])
    await verify_request(
        "POST", "/users/bob/inbox", headers, ACTIVITY, resolver, scheme="http", now=NOW
    )
    with pytest.raises(SignatureError, match="signature does not verify"):
        await verify_request("POST", "/users/bob/inbox", headers, ACTIVITY, resolver, now=NOW)


async def test_ed25519_round_trip(make_resolver) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    headers = signed_post(key)
    assert ';alg="ed25519";' in headers["Signature-Input"]
    resolver = make_resolver(public_key_pem(key))
    await verify_request("POST", "/users/bob/inbox", headers, ACTIVITY, resolver, now=NOW)


async def test_alg_absent_is_inferred_from_rsa_key(
    rsa_keypair: tuple[str, str], make_resolver
) -> None:
    headers = {"Content-Type": "application/activity+json"}
    headers |= signed_post(rsa_keypair[0])
    request = RequestParts.from_request("POST", "/users/bob/inbox", headers)
    sig_input = SignatureInput(
        "sig1",
        tuple(Item(n) for n in ("@method", "@target-uri", "content-digest")),
        {"keyid": ALICE_KEY, "created": int(NOW)},
    )
    signature = create_signature(sig_input, request, load_private_key(rsa_keypair[0]))
    headers["Signature-Input"] = f"sig1={sig_input.serialize()}"
    headers["Signature"] = f"sig1=:{base64.b64encode(signature).decode()}:"
    resolver = make_resolver(rsa_keypair[1])
    await verify_request("POST", "/users/bob/inbox", headers, ACTIVITY, resolver, now=NOW)


async def test_second_label_is_used_when_first_is_refused(
    rsa_keypair: tuple[str, str], make_resolver
) -> None:
    good = signed_post(rsa_keypair[0], label="good")
    headers = dict(good)
    bad_input = f'bad=("@method");created={int(NOW)};keyid="x"'
    headers["Signature-Input"] = f"{bad_input}, {good['Signature-Input']}"
    headers["Signature"] = "bad=:AAEC:, " + good["Signature"]
    result = await verify_request(
        "POST", "/users/bob/inbox", headers, ACTIVITY, make_resolver(rsa_keypair[1]), now=NOW
    )
    assert result.key_id == ALICE_KEY


# --- refusals ------------------------------------------------------------------------------


def resign(headers: dict[str, str], private_pem: str, components: list[str], **params: Any) -> None:
    """Replace the signature with one over ``components`` and ``params`` (for refusal tests)."""
    request = RequestParts.from_request("POST", "/users/bob/inbox", headers)
    sig_input = SignatureInput(
        "sig1", tuple(Item(n) for n in components), {"keyid": ALICE_KEY, **params}
    )
    signature = create_signature(sig_input, request, load_private_key(private_pem))
    headers["Signature-Input"] = f"sig1={sig_input.serialize()}"
    headers["Signature"] = f"sig1=:{base64.b64encode(signature).decode()}:"


async def refused(
    headers: dict[str, str], resolver: Any, body: bytes | None = ACTIVITY, now: float = NOW
) -> str:
    with pytest.raises(SignatureError) as info:
        await verify_request("POST", "/users/bob/inbox", headers, body, resolver, now=now)
    assert info.value.status == 401
    return info.value.reason


FULL = ["@method", "@target-uri", "@authority", "host", "date", "content-digest"]


async def test_missing_created(rsa_keypair: tuple[str, str], make_resolver) -> None:
    headers = signed_post(rsa_keypair[0])
    resign(headers, rsa_keypair[0], FULL)
    resolver = make_resolver(rsa_keypair[1])
    assert await refused(headers, resolver) == "signature has no created parameter"
    assert resolver.calls == []


async def test_not_covering_content_digest(rsa_keypair: tuple[str, str], make_resolver) -> None:
    headers = signed_post(rsa_keypair[0], components=FULL[:-1])
    reason = await refused(headers, make_resolver(rsa_keypair[1]))
    assert reason == "signature does not cover content-digest"


async def test_legacy_digest_header_is_accepted(
    rsa_keypair: tuple[str, str], make_resolver
) -> None:
    from federation.signatures import digest_header

    headers = signed_post(rsa_keypair[0])
    headers["Digest"] = digest_header(ACTIVITY)
    resign(headers, rsa_keypair[0], [*FULL[:-1], "digest"], created=int(NOW))
    await verify_request(
        "POST", "/users/bob/inbox", headers, ACTIVITY, make_resolver(rsa_keypair[1]), now=NOW
    )


async def test_content_digest_mismatch(rsa_keypair: tuple[str, str], make_resolver) -> None:
    headers = signed_post(rsa_keypair[0])
    reason = await refused(headers, make_resolver(rsa_keypair[1]), body=ACTIVITY + b"!")
    assert reason == "Content-Digest does not match body"


async def test_signed_content_digest_missing(rsa_keypair: tuple[str, str], make_resolver) -> None:
    headers = signed_post(rsa_keypair[0])
    del headers["Content-Digest"]
    assert await refused(headers, make_resolver(rsa_keypair[1])) == (
        "Content-Digest header is missing"
    )


@pytest.mark.parametrize("offset", [3601, -3601])
async def test_created_outside_window(
    offset: int, rsa_keypair: tuple[str, str], make_resolver
) -> None:
    headers = signed_post(rsa_keypair[0])
    reason = await refused(headers, make_resolver(rsa_keypair[1]), now=NOW + offset)
    assert reason == "created is outside the accepted window"


async def test_expired(rsa_keypair: tuple[str, str], make_resolver) -> None:
    headers = signed_post(rsa_keypair[0])
    resign(headers, rsa_keypair[0], FULL, created=int(NOW) - 60, expires=int(NOW) - 1)
    assert await refused(headers, make_resolver(rsa_keypair[1])) == "signature has expired"


@pytest.mark.parametrize(
    ("components", "reason"),
    [
        (["@target-uri", "content-digest"], "signature does not cover @method"),
        (["@method", "@authority", "content-digest"], "signature does not cover @target-uri"),
        (["@method", "@path", "content-digest"], "signature does not cover @target-uri"),
    ],
)
async def test_missing_coverage(
    components: list[str], reason: str, rsa_keypair: tuple[str, str], make_resolver
) -> None:
    headers = signed_post(rsa_keypair[0])
    resign(headers, rsa_keypair[0], components, created=int(NOW))
    assert await refused(headers, make_resolver(rsa_keypair[1])) == reason


async def test_authority_and_path_are_enough(rsa_keypair: tuple[str, str], make_resolver) -> None:
    headers = signed_post(rsa_keypair[0])
    components = ["@method", "@authority", "@path", "content-digest"]
    resign(headers, rsa_keypair[0], components, created=int(NOW))
    await verify_request(
        "POST", "/users/bob/inbox", headers, ACTIVITY, make_resolver(rsa_keypair[1]), now=NOW
    )


async def test_unsupported_algorithm(rsa_keypair: tuple[str, str], make_resolver) -> None:
    headers = signed_post(rsa_keypair[0])
    headers["Signature-Input"] = headers["Signature-Input"].replace(
        "rsa-v1_5-sha256", "hmac-sha256"
    )
    resolver = make_resolver(rsa_keypair[1])
    assert await refused(headers, resolver) == "unsupported signature algorithm 'hmac-sha256'"
    assert resolver.calls == []


async def test_no_keyid(rsa_keypair: tuple[str, str], make_resolver) -> None:
    headers = signed_post(rsa_keypair[0])
    headers["Signature-Input"] = headers["Signature-Input"].replace(f';keyid="{ALICE_KEY}"', "")
    assert await refused(headers, make_resolver(rsa_keypair[1])) == "signature has no keyid"


async def test_signature_input_without_signature(make_resolver) -> None:
    headers = {"Signature-Input": 'sig1=("@method");created=1'}
    assert await refused(headers, make_resolver(None)) == "no Signature header"


async def test_labels_do_not_match(rsa_keypair: tuple[str, str], make_resolver) -> None:
    headers = signed_post(rsa_keypair[0])
    headers["Signature"] = headers["Signature"].replace("sig1=", "sig2=")
    reason = await refused(headers, make_resolver(rsa_keypair[1]))
    assert reason == "Signature-Input and Signature share no label"


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("Signature-Input", "sig1=(", "Signature-Input is malformed"),
        ("Signature", "sig1=:@@@:", "Signature is malformed"),
        ("Signature", 'sig1="text"', "Signature sig1 is not a byte sequence"),
        ("Signature-Input", 'sig1="text"', "Signature-Input sig1 is not an inner list"),
    ],
)
async def test_malformed_headers(
    name: str, value: str, reason: str, rsa_keypair: tuple[str, str], make_resolver
) -> None:
    headers = signed_post(rsa_keypair[0])
    headers[name] = value
    assert (await refused(headers, make_resolver(rsa_keypair[1]))).startswith(reason)


async def test_bad_signature_refetches_key_once(
    rsa_keypair: tuple[str, str], other_rsa_keypair: tuple[str, str], make_resolver
) -> None:
    headers = signed_post(other_rsa_keypair[0])
    resolver = make_resolver(rsa_keypair[1])
    assert await refused(headers, resolver) == "signature does not verify"
    assert resolver.calls == [(ALICE_KEY, False), (ALICE_KEY, True)]


async def test_success_after_key_rotation(
    rsa_keypair: tuple[str, str], other_rsa_keypair: tuple[str, str], make_resolver
) -> None:
    headers = signed_post(other_rsa_keypair[0])
    resolver = make_resolver(rsa_keypair[1], other_rsa_keypair[1])
    result = await verify_request("POST", "/users/bob/inbox", headers, ACTIVITY, resolver, now=NOW)
    assert result.owner == ALICE
    assert resolver.calls == [(ALICE_KEY, False), (ALICE_KEY, True)]
