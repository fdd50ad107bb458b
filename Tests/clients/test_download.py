"""`breachdb download` against `breachdb serve` on loopback, through a fault-injecting proxy
(tests/clients/fault_proxy.py): the result equals the source range by range, faults and
kill -9 change nothing in it, and a refresh with --base transfers only changed ranges."""
import base64
import contextlib
import hashlib
import http.client
import json
import os
import random
import re
import signal
import subprocess
import time
import urllib.request

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
    with FaultProxy(source, faults={"00003": "garble"}, always=True, accept_encoding="identity", digests=False) as proxy:
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


def test_a_finished_download_left_unpublished_is_published_without_fetching_again(tmp_path, slice_source):
    port, index, _ = slice_source
    output = str(tmp_path / "out.idx")
    partial = str(tmp_path / ".out.idx.partial")
    with FaultProxy(port) as proxy:
        download(proxy.url, output)
        os.rename(output, partial)  # as a run stopped between finishing the file and renaming it
        proxy.requests.clear()
        result = download(proxy.url, output)
        assert proxy.requests == []
    assert f"{partial} held this download, finished but not yet published: published it" in result.stderr
    assert not os.path.exists(partial)
    assert stats(output)["metadata"]["contentDigest"] == stats(index)["metadata"]["contentDigest"]


def test_a_finished_partial_of_another_download_is_not_published(tmp_path, slice_source):
    port, index, _ = slice_source
    output = str(tmp_path / "out.idx")
    partial = str(tmp_path / ".out.idx.partial")
    download(f"http://127.0.0.1:{port}", output, "--prefixes", "00000-0007F")
    os.rename(output, partial)
    result = download(f"http://127.0.0.1:{port}", output)
    assert "published it" not in result.stderr
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


def test_an_in_place_refresh_with_nothing_changed_leaves_the_file_untouched(tmp_path, slice_source):
    port, _, _ = slice_source
    index = str(tmp_path / "replica.idx")
    download(f"http://127.0.0.1:{port}", index)
    before = os.stat(index)
    with FaultProxy(port) as proxy:
        result = download(proxy.url, index, "--base", index)
        statuses = {status for answers in proxy.statuses.values() for status in answers}
    assert statuses == {304}
    after = os.stat(index)
    # Same inode, size and time: a daemon serving the file has nothing to reload.
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)
    assert f"nothing changed: {index} left as it was ({len(SLICE_PREFIXES)} ranges unchanged" in result.stderr
    assert not os.path.exists(tmp_path / ".replica.idx.partial")


def test_an_in_place_refresh_with_changes_equals_the_new_source(tmp_path, slice_source):
    port, _, _ = slice_source
    index = str(tmp_path / "replica.idx")
    download(f"http://127.0.0.1:{port}", index)
    # The last range with hashes changes: every range before it was deferred, then copied.
    changed = {0x000FF: 4, 0x000FE: 4, 0x000FD: 4}
    new_dump, new_index = str(tmp_path / "new.txt"), str(tmp_path / "new-source.idx")
    write_dump(new_dump, "sha1", SLICE_PREFIXES, seed=7, changes=changed)
    ingest(new_dump, new_index)
    assert stats(new_index)["metadata"]["contentDigest"] != stats(index)["metadata"]["contentDigest"]
    with serve(new_index) as new_port:
        result = download(f"http://127.0.0.1:{new_port}", index, "--base", index)
    assert "nothing changed" not in result.stderr
    assert stats(index)["metadata"]["contentDigest"] == stats(new_index)["metadata"]["contentDigest"]


def test_an_in_place_refresh_of_less_than_the_index_covers_is_refused(tmp_path, slice_source):
    port, _, _ = slice_source
    index = str(tmp_path / "replica.idx")
    download(f"http://127.0.0.1:{port}", index)
    digest = stats(index)["metadata"]["contentDigest"]
    result = download(f"http://127.0.0.1:{port}", index, "--base", index, "--prefixes", "00000-0007F", check=False)
    assert result.returncode != 0
    assert f"{index}: refreshing in place needs --prefixes {SLICE}" in result.stderr, result.stderr
    assert stats(index)["metadata"]["contentDigest"] == digest


def flip_bit_in_buckets(index):
    """Flips one bit in the middle of the index's first block of buckets, in place: damage
    that only the checksums (and decoding) can see."""
    import lmdb
    environment = lmdb.open(index, subdir=False, readonly=True, lock=False, max_dbs=4)
    with environment.begin() as transaction:
        buckets = environment.open_db(b"buckets", txn=transaction, create=False)
        _, block = next(iter(transaction.cursor(buckets)))
        block = bytes(block)
    environment.close()
    with open(index, "rb") as file:
        data = bytearray(file.read())
    offset = data.find(block)
    assert offset >= 0 and data.find(block, offset + 1) < 0
    data[offset + len(block) // 2] ^= 0x10
    with open(index, "wb") as file:
        file.write(data)


def test_a_damaged_base_stops_the_refresh_naming_its_ranges(tmp_path, slice_source):
    port, _, _ = slice_source
    base, output = str(tmp_path / "base.idx"), str(tmp_path / "out.idx")
    download(f"http://127.0.0.1:{port}", base)
    flip_bit_in_buckets(base)
    result = download(f"http://127.0.0.1:{port}", output, "--base", base, check=False)
    assert result.returncode != 0
    assert f"the base {base} is damaged (" in result.stderr, result.stderr
    assert "prefixes 00000–00FFF" in result.stderr
    assert not os.path.exists(output)


def compacted(index, output):
    subprocess.run([BREACHDB, "compact", "--quiet", "--index", index, "--output", output], check=True, capture_output=True)
    return output


def test_a_compact_download_equals_the_compacted_source(tmp_path, slice_source):
    port, index, dump = slice_source
    output = str(tmp_path / "compact.idx")
    result = download(f"http://127.0.0.1:{port}", output, "--compact")
    assert "compact index, " in result.stderr
    expected = stats(compacted(index, str(tmp_path / "expected.idx")))["metadata"]
    metadata = stats(output)["metadata"]
    assert metadata["formatVersion"] == 5
    assert metadata["contentDigest"] == expected["contentDigest"]
    with open(dump) as lines:
        stored = [line.split(":")[0] for line in lines]

    def counts(path):
        return subprocess.run([BREACHDB, "check", "-i", path, "--sha1"], input="\n".join(stored) + "\n",
                              capture_output=True, text=True, check=True).stdout.splitlines()
    # Every stored hash, with the source's count.
    assert counts(output) == counts(index)
    assert len(stored) > 100 and not any(line.endswith(":0") for line in counts(output))


def test_a_killed_compact_download_resumes_as_compact(tmp_path, slice_source):
    port, index, _ = slice_source
    output = str(tmp_path / "compact.idx")
    arguments = ["--compact", "--concurrency", "2", "--checkpoint-interval", "0.1"]
    with FaultProxy(port, delay=0.01) as proxy:
        kill_mid_download(proxy, output, arguments)
        result = download(proxy.url, output, "--resume", *arguments)
    assert "finished by the interrupted run" in result.stderr
    expected = stats(compacted(index, str(tmp_path / "expected.idx")))["metadata"]
    assert stats(output)["metadata"]["contentDigest"] == expected["contentDigest"]


def test_a_compact_index_is_refused_as_a_base_naming_it(tmp_path, slice_source):
    port, index, _ = slice_source
    base = compacted(index, str(tmp_path / "base.idx"))
    result = download(f"http://127.0.0.1:{port}", str(tmp_path / "out.idx"), "--base", base, check=False)
    assert result.returncode != 0
    assert f"{base}: a compact index cannot be a base" in result.stderr
    assert not os.path.exists(tmp_path / "out.idx")


# Hostile and odd sources (issue 22): each test names the finding it covers.

def clean_digest(tmp_path, port):
    clean = str(tmp_path / "clean.idx")
    download(f"http://127.0.0.1:{port}", clean)
    return stats(clean)["metadata"]["contentDigest"]


def test_an_empty_200_body_is_retried_not_stored_as_an_empty_range(tmp_path, slice_source):
    """Finding 5: an empty range would make every hash of the prefix read "not breached"."""
    port, index, _ = slice_source
    output = str(tmp_path / "out.idx")
    with FaultProxy(port, faults={"00042": "empty"}) as proxy:
        result = download(proxy.url, output)
        assert proxy.count("00042") == 2
    assert "retries: 1" in result.stderr
    assert stats(output)["metadata"]["contentDigest"] == stats(index)["metadata"]["contentDigest"]


def test_an_empty_200_body_that_stays_empty_stops_the_download_saying_why(tmp_path, slice_source):
    port, _, _ = slice_source
    with FaultProxy(port, faults={"00042": "empty"}, always=True) as proxy:
        result = download(proxy.url, str(tmp_path / "out.idx"), "--attempts", "2", check=False)
    assert result.returncode != 0
    assert "range 00042 failed 2 times, the last: an empty body" in result.stderr


def test_padding_sent_as_the_public_api_sends_it_gives_the_same_index(tmp_path, slice_source):
    """Finding 6: real rows sorted, then the count-0 rows in any order."""
    port, index, _ = slice_source
    output = str(tmp_path / "padded.idx")
    with FaultProxy(port, accept_encoding="identity", public_padding=True) as proxy:
        result = download(proxy.url, output, "--padding")
    assert "retries: 0" in result.stderr
    assert stats(output)["metadata"]["contentDigest"] == stats(index)["metadata"]["contentDigest"]


def test_a_trickling_body_is_abandoned_within_four_timeouts_and_the_download_finishes(tmp_path, slice_source):
    """Finding 3: one byte a second would hold the range (and the download) for ~100 s."""
    port, index, _ = slice_source
    output = str(tmp_path / "out.idx")
    with FaultProxy(port, faults={"00010": "trickle"}, trickle_seconds=0.5) as proxy:
        started = time.monotonic()
        download(proxy.url, output, "--timeout", "2")
        elapsed = time.monotonic() - started
        assert proxy.count("00010") == 2
    assert elapsed < 4 * 2 + 4, elapsed  # 4 × --timeout, and the rest of the slice
    assert stats(output)["metadata"]["contentDigest"] == stats(index)["metadata"]["contentDigest"]


def test_a_body_changed_on_the_way_is_caught_by_its_digest_and_fetched_again(tmp_path, slice_source):
    """Finding 2: one digit of a hash changed keeps the body valid; the daemon's Repr-Digest does not match."""
    port, index, _ = slice_source
    output = str(tmp_path / "out.idx")
    flipped = {"%05X" % p: "flip" for p in (0x21, 0x77, 0xC3)}
    with FaultProxy(port, faults=flipped, accept_encoding="identity") as proxy:
        result = download(proxy.url, output, "--uncompressed")
        assert all(proxy.count(prefix) == 2 for prefix in flipped)
    assert "retries: 3" in result.stderr
    assert stats(output)["metadata"]["contentDigest"] == stats(index)["metadata"]["contentDigest"]


def test_over_plain_http_only_gzip_is_asked_for(tmp_path, slice_source):
    """Finding 2: brotli has no checksum; gzip's CRC also covers a source that sends no digest."""
    port, _, _ = slice_source
    with FaultProxy(port) as proxy:
        download(proxy.url, str(tmp_path / "out.idx"))
        assert {headers.get("Accept-Encoding") for headers in proxy.request_headers} == {"gzip"}
        assert proxy.encodings == {"gzip"}


def test_the_downloader_asks_for_digests_and_the_daemon_sends_them_only_when_asked(tmp_path, slice_source):
    """Finding 2: RFC 9530's Want-Repr-Digest; the daemon digests a body only for a request that asks."""
    port, _, _ = slice_source
    with FaultProxy(port) as proxy:
        download(proxy.url, str(tmp_path / "out.idx"))
        assert {headers.get("Want-Repr-Digest") for headers in proxy.request_headers} == {"sha-256=1"}
    unasked = urllib.request.urlopen("http://127.0.0.1:%d/range/00010" % port)
    assert unasked.headers.get("Repr-Digest") is None
    asked = urllib.request.urlopen(urllib.request.Request(
        "http://127.0.0.1:%d/range/00010" % port, headers={"Want-Repr-Digest": "sha-256=1"}))
    body = asked.read()
    assert asked.headers.get("Repr-Digest") == "sha-256=:%s:" % base64.b64encode(hashlib.sha256(body).digest()).decode()


def test_once_a_source_sent_digests_an_answer_without_one_is_refused(tmp_path, slice_source):
    """Finding 2: a digest stripped on the way is noticed, not taken for a source that sends none."""
    port, _, _ = slice_source
    with FaultProxy(port, faults={"00080": "strip-digest"}, always=True) as proxy:
        result = download(proxy.url, str(tmp_path / "out.idx"), "--concurrency", "1", "--attempts", "2", check=False)
    assert result.returncode != 0
    assert "range 00080 failed 2 times, the last: an answer without the Repr-Digest the source sent with its others" in result.stderr


def test_a_gzip_bomb_fails_that_attempt_and_is_asked_for_again_uncompressed(tmp_path, slice_source):
    """Finding 4: 64 MiB of zeros in 64 KB of gzip; the retry asks for identity. From a source
    without digests: with them, a bomb fails its digest before anything is inflated."""
    port, index, _ = slice_source
    output = str(tmp_path / "out.idx")
    with FaultProxy(port, faults={"00033": "bomb"}, digests=False) as proxy:
        result = download(proxy.url, output)
        asked = [headers.get("Accept-Encoding") for prefix, headers in zip(proxy.requests, proxy.request_headers) if prefix == "00033"]
    assert asked[0] != "identity" and asked[1:] == ["identity"], asked
    assert "retries: 1" in result.stderr
    assert stats(output)["metadata"]["contentDigest"] == stats(index)["metadata"]["contentDigest"]


def test_a_reset_is_retried_at_once_not_after_the_backoff(tmp_path, slice_source):
    """Finding 1: a reset holds its range (and the reorder window) only for the retry itself."""
    port, _, _ = slice_source
    with FaultProxy(port, faults={"00005": "drop", "00050": "garble"}) as proxy:
        started = time.monotonic()
        download(proxy.url, str(tmp_path / "out.idx"), "--retry-delay", "20")
        assert time.monotonic() - started < 15
        assert proxy.count("00005") == 2 and proxy.count("00050") == 2


def test_a_retry_after_longer_than_the_download_waits_ends_it_saying_so(tmp_path, slice_source):
    """Finding 10: a Retry-After over 300 s is not retried early."""
    port, _, _ = slice_source
    with FaultProxy(port, faults={"00009": "429-for-an-hour"}) as proxy:
        result = download(proxy.url, str(tmp_path / "out.idx"), check=False)
        assert proxy.count("00009") == 1
    assert result.returncode != 0
    assert "range 00009: HTTP 429 Too Many Requests, asking to wait 3600 s, longer than the 300 s a download waits" in result.stderr


@pytest.mark.parametrize("fault,reason", [("redirect-away", "redirects to another scheme, host or port are not followed"),
                                          ("redirect-loop", "more than 3 redirects")])
def test_redirects_elsewhere_or_in_a_loop_are_not_followed(tmp_path, slice_source, fault, reason):
    """Finding 9: same origin only, 3 hops at most, and never retried."""
    port, _, _ = slice_source
    with FaultProxy(port, faults={"00007": fault}, always=True) as proxy:
        result = download(proxy.url, str(tmp_path / "out.idx"), check=False)
        hops = proxy.count("00007")
    assert result.returncode != 0
    assert reason in result.stderr, result.stderr
    assert hops == (1 if fault == "redirect-away" else 4)


def test_a_redirect_to_the_same_origin_is_followed(tmp_path, slice_source):
    port, index, _ = slice_source
    output = str(tmp_path / "out.idx")
    with FaultProxy(port, faults={"00007": "redirect-here"}) as proxy:
        result = download(proxy.url, output)
        assert [path for path in proxy.paths if path.startswith("/range/00007")] == ["/range/00007", "/range/00007?hop=1"]
    assert "retries: 0" in result.stderr
    assert stats(output)["metadata"]["contentDigest"] == stats(index)["metadata"]["contentDigest"]


def test_credentials_and_a_query_token_in_from_are_used_not_dropped(tmp_path, slice_source):
    """Finding 8: user:password becomes Basic authorization; ?token= stays in every URL."""
    port, index, _ = slice_source
    output = str(tmp_path / "out.idx")
    with FaultProxy(port) as proxy:
        url = proxy.url.replace("http://", "http://replica:s3cret@") + "/?token=abc"
        download(url, output)
        assert all(path.endswith("?token=abc") and path.startswith("/range/") for path in proxy.paths)
        assert {headers.get("Authorization") for headers in proxy.request_headers} == {"Basic cmVwbGljYTpzM2NyZXQ="}
    assert "s3cret" not in json.dumps(stats(output))
    assert stats(output)["metadata"]["contentDigest"] == stats(index)["metadata"]["contentDigest"]


def test_the_authorization_file_is_sent_as_the_header(tmp_path, slice_source):
    port, _, _ = slice_source
    token = tmp_path / "token"
    token.write_text("Bearer t0ken\n")
    with FaultProxy(port) as proxy:
        download(proxy.url, str(tmp_path / "out.idx"), "--authorization-file", str(token))
        assert {headers.get("Authorization") for headers in proxy.request_headers} == {"Bearer t0ken"}


def make_certificates(directory):
    """A private CA, a server certificate for 127.0.0.1 and a client certificate, by openssl."""
    def run(*arguments):
        subprocess.run(["openssl", *arguments], check=True, capture_output=True, cwd=directory)
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
        "-subj", "/CN=test CA", "-keyout", "ca.key", "-out", "ca.pem")
    for name, extension in (("server", "subjectAltName=IP:127.0.0.1"), ("client", "extendedKeyUsage=clientAuth")):
        run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", f"/CN={name}",
            "-keyout", f"{name}.key", "-out", f"{name}.csr")
        with open(os.path.join(directory, f"{name}.ext"), "w") as file:
            file.write(extension + "\n")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
            "-extfile", f"{name}.ext", "-out", f"{name}.pem")
    return {name: os.path.join(directory, name) for name in ("ca.pem", "server.pem", "server.key", "client.pem", "client.key")}


def test_a_primary_behind_a_private_ca_asking_for_a_client_certificate(tmp_path, slice_source):
    """Finding 8: --ca-file trusts the private CA, --client-cert/--client-key answer mutual TLS."""
    import ssl
    port, index, _ = slice_source
    files = make_certificates(str(tmp_path))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files["server.pem"], files["server.key"])
    context.load_verify_locations(files["ca.pem"])
    context.verify_mode = ssl.CERT_REQUIRED
    output = str(tmp_path / "out.idx")
    with FaultProxy(port, tls=context) as proxy:
        untrusted = download(proxy.url, str(tmp_path / "no.idx"), "--attempts", "1", check=False)
        anonymous = download(proxy.url, str(tmp_path / "no.idx"), "--attempts", "1", "--ca-file", files["ca.pem"], check=False)
        download(proxy.url, output, "--ca-file", files["ca.pem"], "--client-cert", files["client.pem"], "--client-key", files["client.key"])
    assert untrusted.returncode != 0 and anonymous.returncode != 0
    assert stats(output)["metadata"]["contentDigest"] == stats(index)["metadata"]["contentDigest"]
