"""`breachdb serve --accounts` limits the account routes per client by default (their
requests cost Argon2 work and send mail), leaves the range API open unless asked, and
`--rate-limit 0` turns every limit off. Through a real HTTP client (urllib)."""
import json
import urllib.error
import urllib.request

from daemon import free_port, ingest, serving, wait_until_up


def get(port, path):
    """The status, error code and Retry-After of a GET."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, None, None
    except urllib.error.HTTPError as error:
        body = json.loads(error.read() or b"{}")
        return error.code, body.get("error", {}).get("code"), error.headers.get("Retry-After")


def serve_accounts(tmp_path, *arguments):
    index = str(tmp_path / "index.idx")
    ingest(index, 7)
    port = free_port()
    return port, serving(["--index", index, "--port", str(port), "--accounts", f"sqlite:{tmp_path}/accounts.sqlite",
                          "--no-pages", *arguments])


def test_account_routes_are_rate_limited_by_default_and_the_range_api_is_not(tmp_path):
    port, server = serve_accounts(tmp_path)
    with server:
        wait_until_up(port)
        # A burst past the default (5 a second, bursts of 50): the API without a session.
        answers = [get(port, "/v1/accounts/me") for _ in range(200)]
        assert answers[0] == (401, "not_signed_in", None)
        limited = [answer for answer in answers if answer[0] == 429]
        assert limited, answers
        assert all(code == "rate_limited" and int(wait) >= 1 for _, code, wait in limited)
        # The same client's range requests are not counted.
        assert all(get(port, "/range/5BAA6")[0] == 200 for _ in range(60))


def test_rate_limit_zero_turns_every_limit_off(tmp_path):
    port, server = serve_accounts(tmp_path, "--rate-limit", "0")
    with server:
        wait_until_up(port)
        assert all(get(port, "/v1/accounts/me")[0] == 401 for _ in range(200))


def test_an_explicit_rate_limit_covers_every_route(tmp_path):
    port, server = serve_accounts(tmp_path, "--rate-limit", "2")
    with server:
        wait_until_up(port)
        assert any(get(port, "/range/5BAA6")[0] == 429 for _ in range(30))
