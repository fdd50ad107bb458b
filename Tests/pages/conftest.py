"""The pages in a real browser: `breachdb serve --accounts` with a real SMTP server
(tools/smtp-sink.py), Debian's chromium through chromium-driver and Selenium."""
import email
import email.policy
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "clients"))
from daemon import BREACHDB, ROOT, free_port, ingest, serving, wait_until_up  # noqa: E402

ADMIN = "admin@example.com"
ADMIN_PASSWORD = "correct horse battery staple admin"
SCREENSHOTS = os.path.join(ROOT, "docs", "pages")


class Mailbox:
    """The messages the SMTP sink wrote, read as a person reads their inbox."""

    def __init__(self, directory):
        self.directory = directory
        self.seen = set()

    def next_to(self, address, subject_contains, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for path in sorted(glob.glob(os.path.join(self.directory, "*.eml"))):
                if path in self.seen:
                    continue
                with open(path, "rb") as file:
                    message = email.message_from_binary_file(file, policy=email.policy.default)
                if address in message["To"] and subject_contains in message["Subject"]:
                    self.seen.add(path)
                    return message.get_body(("plain",)).get_content()
            time.sleep(0.2)
        raise AssertionError(f"no e-mail to {address} about {subject_contains!r}")

    def link(self, address, subject_contains, path):
        body = self.next_to(address, subject_contains)
        return re.search(rf"https?://\S+/{path}\?token=\S+", body).group(0)

    def code(self, address):
        return re.search(r"\b(\d{6})\b", self.next_to(address, "verification code")).group(1)


class Site:
    def __init__(self, url, mailbox):
        self.url = url
        self.mailbox = mailbox
        self._admin_token = None

    def api(self, method, path, body=None, token=None):
        request = urllib.request.Request(self.url + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})})
        try:
            with urllib.request.urlopen(request) as response:
                text = response.read()
                return response.status, json.loads(text) if text else None
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def admin_token(self):
        if self._admin_token is None:
            status, answer = self.api("POST", "/v1/accounts/sign-in", {"login": ADMIN, "password": ADMIN_PASSWORD})
            if status == 202:
                status, answer = self.api("POST", "/v1/accounts/verify-device",
                                          {"challengeId": answer["challengeId"], "code": self.mailbox.code(ADMIN)})
            assert status == 200, answer
            self._admin_token = answer["sessionToken"]
        return self._admin_token

    def invite(self, address):
        """A2: an administrator adds the user; returns the link of the "Activate now" e-mail."""
        status, answer = self.api("POST", "/v1/accounts/admin/users", {"email": address}, token=self.admin_token())
        assert status == 201, answer
        return self.mailbox.link(address, "Activate", "activate")


@pytest.fixture(scope="session")
def site():
    with tempfile.TemporaryDirectory() as directory:
        index = os.path.join(directory, "pwned.idx")
        ingest(index, 1000)  # "password" is breached
        mail = os.path.join(directory, "mail")
        sink = subprocess.Popen([sys.executable, os.path.join(ROOT, "tools", "smtp-sink.py"), "--directory", mail],
                                stdout=subprocess.PIPE, text=True)
        smtp_port = int(sink.stdout.readline().split()[-1])
        store = f"sqlite:{directory}/accounts.sqlite"
        subprocess.run([BREACHDB, "accounts", "create-admin", "--accounts", store, "--index", index, "--email", ADMIN],
                       input=ADMIN_PASSWORD + "\n", text=True, check=True, capture_output=True)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with serving(["--index", index, "--port", str(port), "--accounts", store, "--smtp-url", f"smtp://127.0.0.1:{smtp_port}",
                      "--smtp-plaintext-loopback", "--link-base-url", url, "--product-name", "Acme CRM"]):
            wait_until_up(port)
            yield Site(url, Mailbox(mail))
        sink.terminate()


def make_browser(javascript=True, language="en"):
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=820,900", f"--lang={language}"]:
        options.add_argument(argument)
    prefs = {"intl.accept_languages": language}
    if not javascript:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    options.add_experimental_option("prefs", prefs)
    return webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)


@pytest.fixture
def browser():
    driver = make_browser()
    yield driver
    driver.quit()


@pytest.fixture
def browser_without_javascript():
    driver = make_browser(javascript=False)
    yield driver
    driver.quit()


def screenshot(driver, name):
    """A small PNG of the page for docs/pages.md."""
    os.makedirs(SCREENSHOTS, exist_ok=True)
    driver.save_screenshot(os.path.join(SCREENSHOTS, f"{name}.png"))
