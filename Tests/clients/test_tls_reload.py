"""Issue 20, finding 5: SIGHUP reads the TLS certificate and key again; new connections get
the new certificate, connections already open keep working, and files that cannot serve keep
the old certificate with an error naming the file."""
import http.client
import os
import shutil
import signal
import ssl
import subprocess

from daemon import BREACHDB, ROOT, free_port, serving, wait_for


def make_certificate(directory, name):
    """A self-signed certificate for `name` and its key: (certificate, key) paths."""
    certificate, key = os.path.join(directory, f"{name}.pem"), os.path.join(directory, f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-days", "1", "-subj", f"/CN={name}", "-keyout", key, "-out", certificate],
                   check=True, capture_output=True)
    return certificate, key


def der(certificate):
    with open(certificate) as file:
        return ssl.PEM_cert_to_DER_cert(file.read())


def install(source, target):
    """Replaces `target` by a copy of `source` as a renewal does: written beside, renamed over."""
    shutil.copyfile(source, target + ".new")
    os.replace(target + ".new", target)


def https(port):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the test compares the certificate itself
    return http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=context)


def get(connection, path):
    connection.request("GET", path)
    response = connection.getresponse()
    return response.status, response.read()


def presented_certificate(port):
    """The certificate a new connection is given, or None while the daemon is not up."""
    connection = https(port)
    try:
        connection.connect()
        return connection.sock.getpeercert(binary_form=True)
    except OSError:
        return None
    finally:
        connection.close()


def test_sighup_serves_the_new_certificate_to_new_connections_and_keeps_open_ones(tmp_path):
    directory = str(tmp_path)
    first, second, third = (make_certificate(directory, name) for name in ("first", "second", "third"))
    certificate, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    install(first[0], certificate)
    install(first[1], key)
    index = os.path.join(directory, "sample.idx")
    subprocess.run([BREACHDB, "ingest", "--quiet", "-o", index, os.path.join(ROOT, "data/hibp-range/sha1")],
                   check=True)
    port = free_port()
    log_path = os.path.join(directory, "serve.log")
    arguments = ["--index", index, "--port", str(port), "--tls-certificate", certificate, "--tls-key", key,
                 "--reload-interval", "0"]
    with open(log_path, "w") as log, serving(arguments, log=log) as process:
        assert wait_for(lambda: presented_certificate(port) is not None)
        assert presented_certificate(port) == der(first[0])
        early = https(port)
        assert get(early, "/healthz") == (200, b"ok\n")

        install(second[0], certificate)
        install(second[1], key)
        process.send_signal(signal.SIGHUP)
        assert wait_for(lambda: presented_certificate(port) == der(second[0]))
        # The connection opened before goes on, under the certificate it began with.
        status, body = get(early, "/range/5BAA6")
        assert status == 200 and b"1E4C9B93F3F0682250B6CF8331B7EE68FD8:" in body
        assert early.sock.getpeercert(binary_form=True) == der(first[0])
        early.close()

        def logged(text):
            with open(log_path) as file:
                return text in file.read()
        assert wait_for(lambda: logged("reloaded the TLS certificate")), "the reload is logged"
        assert wait_for(lambda: logged("reloaded the index")), "the same signal still reloads the index"

        # A renewal half done: the new certificate, the old key.
        install(third[0], certificate)
        process.send_signal(signal.SIGHUP)
        assert wait_for(lambda: logged("refused the new TLS certificate"))
        assert logged(f"file={key}"), "the error names the key file"
        assert presented_certificate(port) == der(second[0])
        later = https(port)
        assert get(later, "/healthz") == (200, b"ok\n")
        later.close()
