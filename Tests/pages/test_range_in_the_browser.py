"""The range API as a browser's page script asks for it: Chromium's fetch sends
`Accept-Encoding: gzip, deflate, br, zstd` and gets brotli (a tie), which its own decoder
reads back to the rows the plain answer has."""
import urllib.request

PREFIXES = ["5BAA6", "00000", "FFFFF"]


def test_chromium_decodes_padded_brotli_range_answers(site, browser):
    browser.get(site.url + "/healthz")  # the page's origin, so that fetch sees every field
    answers = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        Promise.all(arguments[0].map(async prefix => {
            const response = await fetch("/range/" + prefix, {headers: {"Add-Padding": "true"}, cache: "no-store"});
            return [response.headers.get("Content-Encoding"), await response.text()];
        })).then(done, error => done([[String(error), ""]]));
    """, PREFIXES)
    for prefix, (encoding, text) in zip(PREFIXES, answers):
        assert encoding == "br", prefix
        rows = text.split("\r\n")
        assert 800 <= len(rows) <= 1000
        with urllib.request.urlopen(site.url + "/range/" + prefix) as response:
            plain = response.read().decode().split("\r\n")
        real = [row for row in plain if not row.endswith(":0")]
        assert [row for row in rows if not row.endswith(":0")] == real
        assert real or prefix != "5BAA6"  # "password" is breached: its range has real rows
