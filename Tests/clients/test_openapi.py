"""docs/openapi.yaml is kept true: it is valid OpenAPI 3, and every path and method it
documents answers a live `breachdb serve` with a documented status and, for JSON, a body
that matches the documented schema."""
import copy
import json
import os
import urllib.error
import urllib.request

import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate

from daemon import ROOT, start_server

SPEC = yaml.safe_load(open(os.path.join(ROOT, "docs", "openapi.yaml")))
ADMIN_TOKEN = "test-admin-token"
BODIES = {
    ("post", "/v1/check"): {"password": "password"},
    ("post", "/v1/check/batch"): {"sha1": ["5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"]},
    ("post", "/v1/accounts/sign-up"): {"email": "new@example.com", "password": "quiet-harbor-lantern-42"},
    ("post", "/v1/accounts/activate"): {"token": "no-such-token", "password": "quiet-harbor-lantern-42"},
    ("post", "/v1/accounts/sign-in"): {"login": "nobody@example.com", "password": "quiet-harbor-lantern-42"},
    ("post", "/v1/accounts/verify-device"): {"challengeId": "none", "code": "123456"},
    ("post", "/v1/accounts/password-strength"): {"password": "password"},
    ("post", "/v1/accounts/password-reset/request"): {"login": "nobody@example.com"},
    ("post", "/v1/accounts/password-reset"): {"token": "no-such-token", "newPassword": "quiet-harbor-lantern-42"},
    ("post", "/v1/accounts/password"): {"currentPassword": "a", "newPassword": "b", "confirmation": "b"},
    ("post", "/v1/accounts/admin/users"): {"email": "someone@example.com"},
    ("put", "/v1/accounts/admin/users/{login}/password"): {"password": "quiet-harbor-lantern-42"},
    ("put", "/v1/accounts/admin/users/{login}/role"): {"role": "user"},
}


def resolve(node):
    """The schema with every local $ref replaced by what it points at."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = SPEC
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return resolve(copy.deepcopy(target))
        return {key: resolve(value) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(item) for item in node]
    return node


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tokens = tmp_path_factory.mktemp("tokens") / "admin"
    tokens.write_text(ADMIN_TOKEN + "\n")
    accounts = tmp_path_factory.mktemp("accounts") / "accounts.sqlite"
    with start_server(["--admin-token-file", str(tokens), "--accounts", f"sqlite:{accounts}"]) as base:
        yield base


def test_the_document_is_valid_openapi():
    validate(SPEC)


OPERATIONS = [(path, method) for path, item in SPEC["paths"].items() for method in item]


@pytest.mark.parametrize("path,method", OPERATIONS)
def test_every_documented_operation_answers_as_documented(server, path, method):
    operation = SPEC["paths"][path][method]
    body = BODIES.get((method, path))
    request = urllib.request.Request(server.rstrip("/") + path.replace("{prefix}", "5BAA6").replace("{login}", "someone@example.com"), method=method.upper(),
                                     data=json.dumps(body).encode() if body is not None else None)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if path.startswith("/v1/admin"):
        request.add_header("Authorization", "Bearer " + ADMIN_TOKEN)
    try:
        response = urllib.request.urlopen(request, timeout=10)
        status, content_type, payload = response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        status, content_type, payload = error.code, error.headers.get("Content-Type", ""), error.read()
    documented = operation["responses"]
    assert str(status) in documented, f"{method.upper()} {path} answered {status}, documented: {list(documented)}"
    described = resolve(documented[str(status)])
    schema = described.get("content", {}).get("application/json", {}).get("schema")
    if schema is not None:
        assert content_type.startswith("application/json")
        jsonschema.validate(json.loads(payload), schema)


@pytest.mark.parametrize("path,method,body", [("/range/{prefix}", "GET", None), ("/v1/check", "POST", BODIES[("post", "/v1/check")])])
def test_a_client_over_its_rate_gets_the_documented_429(path, method, body):
    with start_server(["--rate-limit", "0.01"]) as base:
        statuses = []
        for _ in range(2):
            request = urllib.request.Request(base.rstrip("/") + path.replace("{prefix}", "5BAA6"), method=method, data=json.dumps(body).encode() if body else None,
                                             headers={"Content-Type": "application/json"})
            try:
                statuses.append(urllib.request.urlopen(request, timeout=10).status)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
                refusal = error
    assert statuses == [200, 429]
    documented = resolve(SPEC["paths"][path][method.lower()]["responses"]["429"])
    assert int(refusal.headers["Retry-After"]) > 0
    jsonschema.validate(json.loads(refusal.read()), documented["content"]["application/json"]["schema"])
