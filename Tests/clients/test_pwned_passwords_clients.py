"""Real Pwned Passwords clients from PyPI against `breachdb serve` on loopback.

Each client is used unchanged but for its base URL: pyhibp, pwnedpasswords (splits the
body on CRLF, so a trailing CRLF or an empty body breaks it) and pwned-passwords-django
(httpx, padding on by default, the validator Django sites install). Run after the Swift
build:
    python3 -m pytest Tests/clients
"""
import asyncio
import hashlib
import os

import pwnedpasswords
import pwnedpasswords.pwnedpasswords
import pyhibp
import pyhibp.pwnedpasswords as pw
import pytest

from daemon import ROOT, start_server


@pytest.fixture(scope="module")
def server():
    with start_server() as base:
        yield base


@pytest.fixture
def pyhibp_client(server, monkeypatch):
    pyhibp.set_user_agent(ua="breachdb-tests")
    monkeypatch.setattr(pw, "PWNED_PASSWORDS_API_BASE_URI", server)
    return pw


def test_pyhibp_finds_a_breached_password(pyhibp_client):
    assert pyhibp_client.is_password_breached(password="password") == 3861493


def test_pyhibp_finds_a_breached_password_with_padding(pyhibp_client):
    assert pyhibp_client.is_password_breached(password="password", add_padding=True) == 3861493


def test_pyhibp_reports_zero_for_an_unknown_password(pyhibp_client):
    assert pyhibp_client.is_password_breached(password="correct horse battery staple") == 0


def test_pyhibp_checks_a_sha1_hash(pyhibp_client):
    digest = hashlib.sha1(b"password").hexdigest()
    assert pyhibp_client.is_password_breached(sha1_hash=digest) == 3861493


def test_padded_rows_never_match_a_real_password(pyhibp_client):
    rows = pyhibp_client.suffix_search(hash_prefix="00000", add_padding=True)
    assert 800 <= len(rows) <= 1000
    assert all(row.endswith(":0") for row in rows)


def expected_rows(prefix):
    with open(os.path.join(ROOT, "data/hibp-range/sha1", prefix + ".txt"), "rb") as expected:
        return expected.read().strip().replace(b"\r\n", b"\n").split(b"\n")


def test_urllib3_decodes_the_brotli_range_answer(server):
    # urllib3 (under requests and most Python clients) asks for gzip, deflate and br alike
    # (br when the brotli module is installed): brotli is answered on a tie.
    import urllib3
    headers = urllib3.util.make_headers(accept_encoding=True)
    assert "br" in headers["accept-encoding"]
    response = urllib3.request("GET", server + "range/5BAA6", headers=headers)
    assert response.headers["Content-Encoding"] == "br"
    assert response.data.split(b"\r\n") == expected_rows("5BAA6")


def test_urllib3_decodes_the_gzip_range_answer_when_rated_higher(server):
    import urllib3
    response = urllib3.request("GET", server + "range/5BAA6", headers={"Accept-Encoding": "gzip, br;q=0.5"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.data.split(b"\r\n") == expected_rows("5BAA6")


@pytest.mark.parametrize("coding", ["gzip", "br"])
def test_padded_compressed_answers_of_random_prefixes_decode_to_the_plain_rows(server, coding):
    # Python's gzip module checks the CRC and length; the brotli module is Google's decoder.
    # Padding rows are fresh per answer, so the real rows (count above 0) are compared with
    # the plain answer's.
    import brotli
    import gzip
    import random
    import urllib.request
    decompress = {"gzip": gzip.decompress, "br": brotli.decompress}[coding]
    prefixes = ["5BAA6", "00000"] + ["%05X" % random.randrange(1 << 20) for _ in range(30)]
    for prefix in prefixes:
        request = urllib.request.Request(server + "range/" + prefix, headers={"Accept-Encoding": coding, "Add-Padding": "true"})
        with urllib.request.urlopen(request) as response:
            assert response.headers["Content-Encoding"] == coding
            rows = decompress(response.read()).split(b"\r\n")
        assert 800 <= len(rows) <= 1000
        with urllib.request.urlopen(server + "range/" + prefix) as response:
            plain = response.read().split(b"\r\n")
        assert [row for row in rows if not row.endswith(b":0")] == [row for row in plain if not row.endswith(b":0")]


def test_gzip_answers_made_again_carry_the_kept_crc_and_inflate_to_the_plain_rows():
    # With no range cache every request makes its answer: a prefix's first gzip answer
    # computes its text's CRC-32, later ones take it from the index. Python's gzip module
    # checks the CRC-32 and the length of each.
    import gzip
    import urllib.request
    with start_server(["--range-cache-mb", "0"]) as server:
        with urllib.request.urlopen(server + "range/5BAA6") as response:
            plain = response.read()
        answers = []
        for _ in range(3):
            request = urllib.request.Request(server + "range/5BAA6", headers={"Accept-Encoding": "gzip"})
            with urllib.request.urlopen(request) as response:
                assert response.headers["Content-Encoding"] == "gzip"
                answers.append(response.read())
        assert answers[0] == answers[1] == answers[2]
        assert all(gzip.decompress(answer) == plain for answer in answers)


@pytest.fixture
def pwnedpasswords_client(server, monkeypatch):
    api = pwnedpasswords.pwnedpasswords.PwnedPasswordsAPI
    public_url = api.url
    monkeypatch.setattr(api, "url", staticmethod(
        lambda *components, **query: public_url(*components, **query).replace("https://api.pwnedpasswords.com/", server)))
    return pwnedpasswords


def test_pwnedpasswords_finds_a_breached_password(pwnedpasswords_client):
    assert pwnedpasswords_client.check("password") == 3861493


def test_pwnedpasswords_reports_zero_for_an_unknown_password(pwnedpasswords_client):
    assert pwnedpasswords_client.check("correct horse battery staple") == 0


def test_pwnedpasswords_checks_a_sha1_hash(pwnedpasswords_client):
    assert pwnedpasswords_client.check(hashlib.sha1(b"password").hexdigest()) == 3861493


@pytest.fixture(scope="module")
def django_client(server):
    """pwned-passwords-django's API client and validator, Django configured as a site would."""
    import django
    from django.conf import settings
    if not settings.configured:
        settings.configure(
            USE_I18N=False,
            PWNED_PASSWORDS={"API_TIMEOUT": 5.0},
            AUTH_PASSWORD_VALIDATORS=[{"NAME": "pwned_passwords_django.validators.PwnedPasswordsValidator"}])
        django.setup()
    from pwned_passwords_django import api
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(api.PwnedPasswords, "api_endpoint", server + "range/")
        yield api


def test_django_client_counts_a_breached_password_with_padding(django_client):
    assert django_client.default_client.add_padding
    assert django_client.check_password("password") == 3861493


def test_django_client_counts_an_unknown_password_as_zero(django_client):
    assert django_client.check_password("correct horse battery staple") == 0


def test_django_async_client_counts_a_breached_password(django_client):
    assert asyncio.run(django_client.check_password_async("password")) == 3861493


def test_django_validator_refuses_a_breached_password_by_its_count(django_client):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    with pytest.raises(ValidationError) as refusal:
        validate_password("password")
    # Not "password_too_common": that code is the validator's fallback when the API fails.
    assert [error.code for error in refusal.value.error_list] == ["password_compromised"]
    assert refusal.value.error_list[0].params == {"amount": 3861493}
