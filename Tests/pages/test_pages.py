"""The seed flows as a person does them, in Chromium: every page reached through the
browser, every e-mail read from the real SMTP server's inbox."""
import itertools
import json
import time
import urllib.error
import urllib.request

import pytest
from axe_selenium_python import Axe
from selenium.webdriver.common.by import By
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.support.ui import WebDriverWait

from conftest import ADMIN, ADMIN_PASSWORD, make_browser, screenshot

B1 = "Choose a different password. This has been identified as a risky password."
B2 = "That password is unsafe."
GOOD = "a long and unguessed phrase 4711"
_numbers = itertools.count(1)


def new_address():
    return f"person{next(_numbers)}@example.com"


def fill(driver, fields, submit=True):
    for name, value in fields.items():
        element = driver.find_element(By.NAME, name)
        element.clear()
        element.send_keys(value)
    if submit:
        click(driver, driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))


def click(driver, element):
    """Clicks and waits for the next page, as a person waits for it to appear."""
    page = driver.find_element(By.TAG_NAME, "html")
    try:
        element.click()
    except WebDriverException as error:
        # The next page replaced this one before the click's answer came back.
        if "does not belong to the document" not in str(error):
            raise
    WebDriverWait(driver, 20, ignored_exceptions=(WebDriverException,)).until(gone(page))


def gone(page):
    def check(_):
        try:
            page.tag_name
            return False
        except StaleElementReferenceException:
            return True
    return check


def sign_out(driver):
    click(driver, driver.find_element(By.CSS_SELECTOR, "[data-testid=sign-out]"))


def alert_text(driver):
    return driver.find_element(By.CSS_SELECTOR, "[role=alert]").text


def status_text(driver):
    return driver.find_element(By.CSS_SELECTOR, "[role=status]").text


def path(driver):
    return "/" + driver.current_url.split("/", 3)[3]


def assert_accessible(driver):
    """axe-core finds no serious or critical violation (WCAG 2.x A and AA rules)."""
    axe = Axe(driver)
    axe.inject()
    # The newest axe-selenium-python ships axe-core 3.1.1, older than the HTML standard's
    # "one-time-code" autocomplete token: teach it the token rather than drop the rule.
    driver.execute_script("axe.commons.text.autocomplete.standaloneTerms.push('one-time-code')")
    options = json.dumps({"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]}})
    results = driver.execute_async_script(f"const done = arguments[arguments.length - 1]; axe.run(document, {options}).then(done, e => done({{violations: [{{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}}]}}))")
    serious = [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], serious


def activate(site, driver, address):
    driver.get(site.invite(address))
    fill(driver, {"password": GOOD})
    assert path(driver) == "/account"


def sign_in(driver, site, login, password):
    driver.get(site.url + "/sign-in")
    fill(driver, {"login": login, "password": password})


def test_activation_refuses_a_breached_password_then_signs_in(site, browser):  # A2, A3, B1
    address = new_address()
    browser.get(site.invite(address))
    assert path(browser) == "/activate", "the token left the address bar"
    assert browser.find_element(By.CSS_SELECTOR, "meter#password-strength")
    screenshot(browser, "activate")
    assert_accessible(browser)
    fill(browser, {"password": "password"})
    assert B1 in alert_text(browser)
    assert "does not mean your other accounts are compromised" in alert_text(browser)
    assert browser.switch_to.active_element.get_attribute("role") == "alert", "focus moves to the error summary"
    screenshot(browser, "activate-refused")
    assert_accessible(browser)
    fill(browser, {"password": GOOD})
    assert path(browser) == "/account"
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=login]").text == address
    screenshot(browser, "account")
    assert_accessible(browser)


def test_a_known_browser_signs_in_without_a_code(site, browser):  # L3
    address = new_address()
    activate(site, browser, address)
    sign_out(browser)
    assert path(browser).startswith("/sign-in")
    assert "signed out" in status_text(browser)
    sign_in(browser, site, address, GOOD)
    assert path(browser) == "/account"


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_new_browser_is_asked_for_the_emailed_code(site, browser, javascript):  # L3
    address = new_address()
    activate(site, browser, address)
    other = make_browser(javascript=javascript)
    try:
        sign_in(other, site, address, GOOD)
        assert path(other) == "/sign-in/code"
        code_field = other.find_element(By.NAME, "code")
        assert code_field.get_attribute("autocomplete") == "one-time-code"
        assert code_field.get_attribute("inputmode") == "numeric"
        if javascript:
            screenshot(other, "device-code")
            assert_accessible(other)
        fill(other, {"code": "000000"})
        assert "verification code is incorrect" in alert_text(other)
        fill(other, {"code": site.mailbox.code(address)})
        assert path(other) == "/account"
        sign_out(other)
        sign_in(other, site, address, GOOD)
        assert path(other) == "/account", "the browser is known now"
    finally:
        other.quit()


def test_forgot_password_only_the_newest_link_works(site, browser):  # R1, R3, B2
    address = new_address()
    activate(site, browser, address)
    browser.delete_all_cookies()
    browser.get(site.url + "/sign-in")
    screenshot(browser, "sign-in")
    assert_accessible(browser)
    click(browser, browser.find_element(By.LINK_TEXT, "Forgot my password"))
    assert browser.find_element(By.NAME, "email").get_attribute("autocomplete") == "email"
    screenshot(browser, "forgot-password")
    assert_accessible(browser)
    fill(browser, {"email": address})
    assert "only the newest link works" in status_text(browser)
    first = site.mailbox.link(address, "Reset", "reset-password")
    browser.get(site.url + "/forgot-password")
    fill(browser, {"email": address})
    newest = site.mailbox.link(address, "Reset", "reset-password")

    browser.get(first)
    fill(browser, {"password": "another long phrase 0815"})
    assert "no longer valid" in alert_text(browser)
    screenshot(browser, "invalid-link")
    assert_accessible(browser)

    browser.get(newest)
    assert path(browser) == "/reset-password"
    screenshot(browser, "reset-password")
    fill(browser, {"password": "password"})
    assert B2 in alert_text(browser)
    assert_accessible(browser)
    fill(browser, {"password": "another long phrase 0815"})
    assert "reset" in status_text(browser)
    sign_in(browser, site, address, "another long phrase 0815")
    assert path(browser) in ("/account", "/sign-in/code")


def test_change_password_on_the_account_page(site, browser):  # R4, B4
    address = new_address()
    activate(site, browser, address)
    fields = {"current_password": GOOD, "password": "a new phrase for changing 42", "confirmation": "a different one entirely"}
    fill(browser, fields)
    assert "do not match" in alert_text(browser)
    fill(browser, {**fields, "password": "password", "confirmation": "password"})
    assert B1 in alert_text(browser)
    fill(browser, {**fields, "confirmation": fields["password"]})
    assert path(browser) == "/account?notice=password_changed"
    assert "changed" in status_text(browser)
    screenshot(browser, "account-changed")
    assert_accessible(browser)
    sign_out(browser)
    sign_in(browser, site, address, fields["password"])
    # A new password forgets the known browsers (docs/accounts.md): the code again.
    assert path(browser) == "/sign-in/code"
    fill(browser, {"code": site.mailbox.code(address)})
    assert path(browser) == "/account"


def test_a_locked_account_is_told_to_wait_like_an_unknown_one(site, browser):  # L2
    address = new_address()
    activate(site, browser, address)
    sign_out(browser)
    for _ in range(5):
        sign_in(browser, site, address, "not the password at all")
    sign_in(browser, site, address, GOOD)
    locked = alert_text(browser)
    assert "wait" in locked
    assert path(browser) == "/sign-in"
    screenshot(browser, "sign-in-refused")
    assert_accessible(browser)
    sign_in(browser, site, "nobody@example.com", GOOD)
    assert alert_text(browser) == locked, "a stranger cannot tell a locked account from no account"


def test_the_session_cookie_is_httponly_and_samesite(site, browser):
    activate(site, browser, new_address())
    cookies = {cookie["name"]: cookie for cookie in browser.get_cookies()}
    for name in ["breachdb_session", "breachdb_csrf", "breachdb_device"]:
        assert cookies[name]["httpOnly"], name
        assert cookies[name]["sameSite"] == "Lax", name
    assert "breachdb_link" not in cookies, "the link's token is dropped once used"


def test_a_post_without_the_csrf_token_is_refused(site, browser):
    browser.get(site.url + "/sign-in")
    secret = browser.get_cookie("breachdb_csrf")["value"]
    forged = urllib.request.Request(site.url + "/sign-in", data=f"login={ADMIN}&password=x&csrf=forged".encode(), method="POST",
                                    headers={"Cookie": f"breachdb_csrf={secret}", "Content-Type": "application/x-www-form-urlencoded"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forged)
    assert refused.value.code == 403
    # The form's own token works only with the cookie it was made for.
    token = browser.find_element(By.NAME, "csrf").get_attribute("value")
    other_cookie = urllib.request.Request(site.url + "/forgot-password", data=f"email=a@example.com&csrf={token}".encode(), method="POST",
                                          headers={"Cookie": "breachdb_csrf=someone-else", "Content-Type": "application/x-www-form-urlencoded"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(other_cookie)
    assert refused.value.code == 403


def test_a_crafted_link_token_sets_no_cookie_attributes(site):
    request = urllib.request.Request(site.url + "/activate?token=a%3B%20Domain%3Devil.example")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *arguments):
            return None

    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.build_opener(NoRedirect).open(request)
    assert answer.value.code == 303
    assert "evil" not in (answer.value.headers.get("Set-Cookie") or "")


@pytest.mark.parametrize("page", ["/sign-in", "/forgot-password", "/activate", "/reset-password?token=x"])
def test_every_page_has_the_security_headers(site, page):
    request = urllib.request.Request(site.url + page)
    try:
        response = urllib.request.urlopen(request)
    except urllib.error.HTTPError as error:
        response = error
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("language, title, heading", [("en", "Sign in", "Sign in"), ("nl", "Aanmelden", "Aanmelden"),
                                                      ("nb", "Logg på", "Logg på")])
def test_the_language_follows_accept_language(site, language, title, heading):
    request = urllib.request.Request(site.url + "/sign-in", headers={"Accept-Language": f"{language};q=0.9, de;q=0.1"})
    page = urllib.request.urlopen(request).read().decode()
    assert f'<html lang="{language}">' in page
    assert f"<h1>{heading}</h1>" in page
    assert f"<title>{title} · Acme CRM</title>" in page


def test_the_language_switcher_changes_the_page(site, browser):
    browser.get(site.url + "/sign-in")
    click(browser, browser.find_element(By.CSS_SELECTOR, "a[hreflang=nl]"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "nl"
    assert browser.find_element(By.LINK_TEXT, "Mijn wachtwoord vergeten")
    screenshot(browser, "sign-in-nl")
    click(browser, browser.find_element(By.CSS_SELECTOR, "a[hreflang=nb]"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "nb"
    fill(browser, {"login": "nobody@example.com", "password": "whatever it is"})
    assert "Bruker-ID-en eller passordet er feil" in alert_text(browser)
    screenshot(browser, "sign-in-nb-refused")
    assert_accessible(browser)


def test_the_strength_meter_and_breach_warning_work_while_typing(site, browser):  # A3, B1
    browser.get(site.invite(new_address()))
    field = browser.find_element(By.NAME, "password")
    field.send_keys("password")
    meter_text = browser.find_element(By.ID, "password-strength-text")
    for _ in range(50):
        if "data breach" in meter_text.text:
            break
        time.sleep(0.1)
    assert "data breach" in meter_text.text, "the /range check warned while typing"
    field.clear()
    field.send_keys(GOOD)
    for _ in range(50):
        if meter_text.text == "Strong.":
            break
        time.sleep(0.1)
    assert meter_text.text == "Strong."
    assert browser.find_element(By.ID, "password-strength").get_attribute("value") == "4"


def test_an_administrator_sends_a_reset_email_from_the_users_page(site, browser):  # D1, R5
    address = new_address()
    activation = site.invite(address)
    sign_in(browser, site, ADMIN, ADMIN_PASSWORD)
    if path(browser) == "/sign-in/code":
        fill(browser, {"code": site.mailbox.code(ADMIN)})
    click(browser, browser.find_element(By.LINK_TEXT, "Users"))
    assert path(browser) == "/admin/users"
    fill(browser, {"q": address.split("@")[0]})
    rows = browser.find_elements(By.CSS_SELECTOR, "tr[data-user]")
    assert [row.get_attribute("data-user") for row in rows] == [address]
    assert not rows[0].find_elements(By.CSS_SELECTOR, "[data-testid=send-reset]"), "not activated yet"
    other = make_browser()
    try:
        other.get(activation)
        fill(other, {"password": GOOD})
    finally:
        other.quit()
    browser.refresh()
    screenshot(browser, "admin-users")
    assert_accessible(browser)
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-user="{address}"]')
    click(browser, row.find_element(By.CSS_SELECTOR, "[data-testid=send-reset]"))
    assert "reset e-mail has been sent" in status_text(browser)
    assert "/reset-password?token=" in site.mailbox.link(address, "Reset", "reset-password")


def test_a_user_without_the_role_cannot_open_the_users_page(site, browser):  # D1
    activate(site, browser, new_address())
    assert not browser.find_elements(By.LINK_TEXT, "Users")
    browser.get(site.url + "/admin/users")
    assert "permission" in alert_text(browser)


def test_a_form_with_a_tampered_token_gets_the_refusal_page(site, browser):
    browser.get(site.url + "/forgot-password")
    browser.execute_script("document.querySelector('input[name=csrf]').value = 'tampered'")
    fill(browser, {"email": "someone@example.com"})
    assert "did not come from this site" in alert_text(browser)
    assert browser.find_element(By.TAG_NAME, "h1").text == "This form could not be accepted"
    screenshot(browser, "forbidden")
    assert_accessible(browser)
