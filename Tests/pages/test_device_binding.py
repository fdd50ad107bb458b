"""L3's code bound to the browser or API client that signed in (issue 23, finding 9): the
challenge handle carries a secret that only that client holds."""
from test_pages import GOOD, activate, alert_text, fill, new_address, path, sign_in

from conftest import make_browser


def test_the_api_refuses_the_right_code_with_the_challenge_id_alone(site):  # L3, L2
    address = new_address()
    status, _ = site.api("POST", "/v1/accounts/activate", {"token": site.invite(address).split("token=")[1], "password": GOOD})
    assert status == 200
    status, answer = site.api("POST", "/v1/accounts/sign-in", {"login": address, "password": GOOD})
    assert status == 202, answer
    handle = answer["challengeId"]
    challenge_id, secret = handle.split(".")
    assert len(secret) == 43, "a 256-bit secret, base64url"
    code = site.mailbox.code(address)
    status, answer = site.api("POST", "/v1/accounts/verify-device", {"challengeId": challenge_id, "code": code})
    assert status == 400 and answer["error"]["code"] == "invalid_device_code", answer
    status, answer = site.api("POST", "/v1/accounts/verify-device", {"challengeId": handle, "code": code})
    assert status == 200 and answer["sessionToken"], answer


def test_a_browser_with_the_challenge_id_but_not_its_secret_is_refused_the_code(site, browser):  # L3
    address = new_address()
    activate(site, browser, address)
    owner, stranger = make_browser(), make_browser()
    try:
        sign_in(owner, site, address, GOOD)
        assert path(owner) == "/sign-in/code"
        cookie = next(c for c in owner.get_cookies() if c["name"] == "breachdb_challenge")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        code = site.mailbox.code(address)
        # A stranger who learnt the challenge's id (not the secret the owner's cookie holds) and the code.
        stranger.get(site.url + "/sign-in")
        stranger.add_cookie({"name": "breachdb_challenge", "value": cookie["value"].split(".")[0], "path": "/"})
        stranger.get(site.url + "/sign-in/code")
        fill(stranger, {"code": code})
        assert "verification code is incorrect" in alert_text(stranger)
        fill(owner, {"code": code})
        assert path(owner) == "/account"
    finally:
        owner.quit()
        stranger.quit()
