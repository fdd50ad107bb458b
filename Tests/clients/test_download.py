"""`breachdb download` against `breachdb serve` on loopback, through a fault-injecting proxy
(tests/clients/fault_proxy.py): the result equals the source range by range, faults and
kill -9 change nothing in it, and a refresh with --base transfers only changed ranges."""
import contextlib
import http.client
import json
import os
import random
import re
import signal
import subprocess
import time

import pytest

from daemon import BREACHDB, free_port, serving, wait_until_up
from fault_proxy import FAULTS, FaultProxy

SLICE = "00000-000FF"
SLICE_PREFIXES = range(0x00000, 0x00100)
# Short backoffs so that faults cost little test time. Requests may still be retried
# on a loaded machine (a slow answer times out), so requests are compared as sets.
FAST = ["--retry-delay", "0.05", "--timeout", "10"]
DIGITS = {"sha1": 40, "ntlm": 32}


def write_dump(path, kind, prefixes, seed, per_prefix=3, changes=None):
    """HASH:COUNT lines with about `per_prefix` random hashes in each of `prefixes` (some
    left empty); `changes` maps a prefix to a count added to its first hash."""
    rng = random.Random(seed)
    lines = []
    for prefix in prefixes:
        hashes = sorted({"%05X" % prefix + "".join(rng.choice("0123456789ABCDEF") for _ in range(DIGITS[kind] - 5))
                         for _ in range(rng.choice([0, 1, per_prefix, per_prefix * 2]))})
        for i, digest in enumerate(hashes):
            count = rng.randint(1, 5000) + ((changes or {}).get(prefix, 0) if i == 0 else 0)
            lines.append(f"{digest}:{count}\n")
    with open(path, "w") as dump:
        dump.writelines(lines)


def ingest(dump, index, kind="sha1"):
    subprocess.run([BREACHDB, "ingest", "--quiet", "--hash", kind, "-o", index, dump], check=True)


def stats(index):
    return json.loads(subprocess.run([BREACHDB, "stats", "--json", "-i", index], check=True, capture_output=True, text=True).stdout)


@contextlib.contextmanager
def serve(index, ntlm_index=None):
    port = free_port()
    arguments = ["--index", index, "--port", str(port), "--reload-interval", "0"]
    if ntlm_index:
        arguments += ["--ntlm-index", ntlm_index]
    with serving(arguments):
        wait_until_up(port)
        yield port


def download(source, output, *arguments, check=True):
    result = subprocess.run([BREACHDB, "download", "--quiet", "--from", source, "-o", output, "--prefixes", SLICE, *FAST, *arguments],
                            capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def range_bodies(port, mode):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    bodies = {}
    for prefix in SLICE_PREFIXES:
        connection.request("GET", "/range/%05X%s" % (prefix, "?mode=ntlm" if mode == "ntlm" else ""))
        response = connection.getresponse()
        body = response.read()
        # Empty ranges are padded afresh per request: compare their real (non-zero) rows.
        bodies[prefix] = [line for line in body.split(b"\r\n") if not line.endswith(b":0")]
    return bodies


@pytest.fixture
def source(tmp_path):
    """SHA-1 and NTLM indexes with hashes in the slice and beyond it, served on loopback."""
    indexes = {}
    for kind in ("sha1", "ntlm"):
        dump = str(tmp_path / f"{kind}.txt")
        write_dump(dump, kind, range(0x00000, 0x00200), seed=len(kind))
        indexes[kind] = str(tmp_path / f"{kind}.idx")
        ingest(dump, indexes[kind], kind)
    with serve(indexes["sha1"], indexes["ntlm"]) as port:
        yield port


@pytest.mark.parametrize("mode", ["sha1", "ntlm"])
@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_every_downloaded_range_equals_the_source(tmp_path, source, mode, encoding):
    output = str(tmp_path / "downloaded.idx")
    with FaultProxy(source, accept_encoding=encoding) as proxy:
        download(proxy.url, output, "--mode", mode)
        assert proxy.encodings == {encoding}
        assert set(proxy.requests) == {"%05X" % p for p in SLICE_PREFIXES}
    assert stats(output)["metadata"]["coveredPrefixes"] == SLICE
    assert stats(output)["metadata"]["hashKind"] == mode
    # The copy served as the source is: an NTLM index beside a SHA-1 one.
    sha1_index = output if mode == "sha1" else str(tmp_path / "sha1-placeholder.idx")
    if mode == "ntlm":
        download(f"http://127.0.0.1:{source}", sha1_index)
    with serve(sha1_index, output if mode == "ntlm" else None) as copy:
        assert range_bodies(copy, mode) == range_bodies(source, mode)


def test_padded_answers_give_the_same_index(tmp_path, source):
    plain, padded = str(tmp_path / "plain.idx"), str(tmp_path / "padded.idx")
    download(f"http://127.0.0.1:{source}", plain)
    with FaultProxy(source) as proxy:
        result = download(proxy.url, padded, "--padding")
        assert all(headers.get("Add-Padding") == "true" for headers in proxy.request_headers)
    assert int(re.search(r"padding rows dropped: ([\d,]+)", result.stderr).group(1).replace(",", "")) > 800 * len(SLICE_PREFIXES) // 2
    assert stats(padded)["metadata"]["contentDigest"] == stats(plain)["metadata"]["contentDigest"]


def test_faults_are_retried_and_the_result_equals_a_fault_free_run(tmp_path, source):
    clean, faulty = str(tmp_path / "clean.idx"), str(tmp_path / "faulty.idx")
    download(f"http://127.0.0.1:{source}", clean)
    faults = {"%05X" % (0x10 + 19 * i): FAULTS[i % len(FAULTS)] for i in range(2 * len(FAULTS))}
    with FaultProxy(source, faults=faults, stall_seconds=4) as proxy:
        result = download(proxy.url, faulty, "--timeout", "1")
        assert sorted(proxy.injected) == sorted(faults.items())
        assert all(proxy.count(prefix) >= 2 for prefix in faults)
    assert int(re.search(r"retries: ([\d,]+)", result.stderr).group(1)) >= len(faults)
    assert stats(faulty)["metadata"]["contentDigest"] == stats(clean)["metadata"]["contentDigest"]
    assert stats(faulty)["metadata"]["hashCount"] == stats(clean)["metadata"]["hashCount"]


def test_a_server_that_stays_down_ends_the_download_without_an_index(tmp_path, source):
    output = str(tmp_path / "never.idx")
    with FaultProxy(source, faults={"00007": "503"}, always=True) as proxy:
        result = download(proxy.url, output, "--attempts", "3", check=False)
        assert proxy.count("00007") == 3
    assert result.returncode != 0
    assert "range 00007 failed 3 times, the last: HTTP 503" in result.stderr
    assert not os.path.exists(output)


def test_a_body_that_stays_invalid_is_named_and_no_index_is_written(tmp_path, source):
    output = str(tmp_path / "never.idx")
    with FaultProxy(source, faults={"00003": "garble"}, always=True, accept_encoding="identity") as proxy:
        result = download(proxy.url, output, "--attempts", "2", check=False)
    assert result.returncode != 0
    assert re.search(r"range 00003 failed 2 times, the last: an invalid body \(line \d+: ", result.stderr), result.stderr
    assert not os.path.exists(output)


@pytest.fixture
def slice_source(tmp_path):
    """A SHA-1 index with hashes only in the slice: a complete download equals it bucket for bucket."""
    dump, index = str(tmp_path / "slice.txt"), str(tmp_path / "slice.idx")
    write_dump(dump, "sha1", SLICE_PREFIXES, seed=7)
    ingest(dump, index)
    with serve(index) as port:
        yield port, index, dump


def kill_mid_download(proxy, output, arguments, requests=100):
    """Starts a download through `proxy` and kills it with SIGKILL after `requests` requests."""
    process = subprocess.Popen([BREACHDB, "download", "--quiet", "--from", proxy.url, "-o", output, "--prefixes", SLICE, *FAST, *arguments],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while len(proxy.requests) < requests and process.poll() is None:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()


def test_a_download_killed_with_sigkill_resumes_without_asking_for_finished_ranges(tmp_path, slice_source):
    port, index, _ = slice_source
    output = str(tmp_path / "resumed.idx")
    arguments = ["--concurrency", "2", "--checkpoint-interval", "0.1"]
    with FaultProxy(port, delay=0.01) as proxy:
        kill_mid_download(proxy, output, arguments)
        first_run = set(proxy.requests)
        proxy.requests.clear()
        result = download(proxy.url, output, "--resume", *arguments)
        second_run = list(proxy.requests)
    finished = int(re.search(r"finished by the interrupted run: ([\d,]+)", result.stderr).group(1).replace(",", ""))
    assert 0 < finished < len(SLICE_PREFIXES)
    # The finished ranges were all fetched by the killed run and none of them again.
    assert {"%05X" % p for p in range(finished)} <= first_run
    assert min(int(prefix, 16) for prefix in second_run) == finished
    assert set(second_run) == {"%05X" % p for p in range(finished, len(SLICE_PREFIXES))}
    assert not os.path.exists(output.replace("resumed.idx", ".resumed.idx.partial"))
    assert stats(output)["metadata"]["contentDigest"] == stats(index)["metadata"]["contentDigest"]


def test_resume_fails_when_there_is_nothing_to_resume(tmp_path, slice_source):
    port, _, _ = slice_source
    result = download(f"http://127.0.0.1:{port}", str(tmp_path / "new.idx"), "--resume", check=False)
    assert result.returncode != 0
    assert "--resume: no interrupted download" in result.stderr


def test_the_partial_file_of_another_download_is_replaced_saying_so(tmp_path, slice_source):
    port, index, _ = slice_source
    output = str(tmp_path / "out.idx")
    partial = str(tmp_path / ".out.idx.partial")
    with FaultProxy(port, delay=0.01) as proxy:
        # --padding makes it another download of the same slice.
        kill_mid_download(proxy, output, ["--padding", "--concurrency", "2", "--checkpoint-interval", "0.1"])
    assert os.path.exists(partial)
    result = download(f"http://127.0.0.1:{port}", output)
    assert f"{partial} holds no checkpoint of this download" in result.stderr
    assert "starting afresh" in result.stderr
    assert stats(output)["metadata"]["contentDigest"] == stats(index)["metadata"]["contentDigest"]


def test_a_damaged_partial_file_stops_the_download_naming_it_and_is_left_alone(tmp_path, slice_source):
    port, _, _ = slice_source
    output = str(tmp_path / "out.idx")
    partial = str(tmp_path / ".out.idx.partial")
    damaged = bytes(range(256)) * 64
    with open(partial, "wb") as file:
        file.write(damaged)
    result = download(f"http://127.0.0.1:{port}", output, check=False)
    assert result.returncode != 0
    assert f"the interrupted download cannot be continued: {partial}: not a BreachDB index" in result.stderr, result.stderr
    assert f"remove {partial} to start afresh" in result.stderr
    with open(partial, "rb") as file:
        assert file.read() == damaged
    assert not os.path.exists(output)


def test_a_refresh_with_base_transfers_only_the_changed_ranges(tmp_path, slice_source):
    port, _, dump = slice_source
    old = str(tmp_path / "old.idx")
    download(f"http://127.0.0.1:{port}", old)
    # The source rebuilt with five ranges changed (one count each), the rest as before.
    changed = {0x00011: 3, 0x00080: 5, 0x000A2: 1, 0x000C0: 9, 0x000FF: 2}
    new_dump, new_index = str(tmp_path / "new.txt"), str(tmp_path / "new-source.idx")
    write_dump(new_dump, "sha1", SLICE_PREFIXES, seed=7, changes=changed)
    ingest(new_dump, new_index)
    with open(dump) as lines:
        filled = {line[:5] for line in lines}
    changed_names = {"%05X" % p for p in changed} & filled  # a change needs a hash to change
    assert len(changed_names) >= 3
    output = str(tmp_path / "refreshed.idx")
    with serve(new_index) as new_port, FaultProxy(new_port) as proxy:
        result = download(proxy.url, output, "--base", old)
        transferred = {prefix for prefix, statuses in proxy.statuses.items() if 200 in statuses}
        unchanged = {prefix for prefix, statuses in proxy.statuses.items() if set(statuses) == {304}}
    assert transferred == changed_names
    assert len(unchanged) == len(SLICE_PREFIXES) - len(transferred)
    assert "ranges changed: %d, unchanged (304): %s" % (len(changed_names), format(len(unchanged), ",")) in result.stderr
    assert stats(output)["metadata"]["contentDigest"] == stats(new_index)["metadata"]["contentDigest"]
