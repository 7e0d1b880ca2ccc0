"""JWT bearer tokens over real HTTP: issuer, audience and algorithms pinned; keys from a PEM file
or a JWKS URL (served by a second real server on loopback)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from agenthost import AgentApp, RunContext, RunInput
from agenthost.config import parse_config
from agenthost.errors import ConfigError
from agenthost.testing.server import ServerHandle, running_server

ISSUER = "https://issuer.test"
AUDIENCE = "agenthost-tests"


async def whoami(input: RunInput, ctx: RunContext) -> Any:
    yield f"{ctx.principal.id}|{ctx.principal.name}|{','.join(sorted(ctx.principal.scopes))}"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def token(key: Any, *, alg: str = "RS256", headers: dict[str, Any] | None = None,
          **claims: Any) -> str:
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "carol", "name": "Carol",
            "scope": "read write", "exp": int(time.time()) + 300, **claims}
    return jwt.encode(body, key, algorithm=alg, headers=headers)


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return new_key()


@pytest.fixture
def pem_server(tmp_path: Path, signing_key: rsa.RSAPrivateKey,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[ServerHandle]:
    pem = tmp_path / "issuer.pem"
    pem.write_text(public_pem(signing_key))
    monkeypatch.setenv("TEST_KEY_DAVE", "dave-api-key")
    config = {
        "host": {"api_keys": [{"env": "TEST_KEY_DAVE", "principal": "dave"}]},
        "auth": {"jwt": {"public_key_file": str(pem), "issuer": ISSUER, "audience": AUDIENCE}},
        "frontends": {"native": {}},
    }
    app = AgentApp(parse_config(config))
    app.agent("whoami")(whoami)
    with running_server(app) as handle:
        yield handle


def ask(server: ServerHandle, bearer: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/agents/whoami/runs",
        json={"input": "?", "stream": False},
        headers={"authorization": f"Bearer {bearer}"},
        timeout=30,
    )


def answer(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return "".join(p["text"] for m in response.json()["run"]["output"] for p in m["parts"])


def test_a_valid_token_is_its_subject_with_name_and_scopes(
    pem_server: ServerHandle, signing_key: rsa.RSAPrivateKey
) -> None:
    assert answer(ask(pem_server, token(signing_key))) == "carol|Carol|read,write"


def test_api_keys_and_tokens_work_side_by_side(pem_server: ServerHandle) -> None:
    assert answer(ask(pem_server, "dave-api-key")).startswith("dave|")


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("expired", "expired"),
        ("wrong_audience", "audience"),
        ("wrong_issuer", "issuer"),
        ("wrong_key", "signature"),
        ("alg_none", "alg"),
        ("hmac_with_the_public_key", "alg"),
        ("no_subject", "sub"),
    ],
)
def test_bad_tokens_are_401_naming_the_reason(
    pem_server: ServerHandle, signing_key: rsa.RSAPrivateKey, case: str, expected: str
) -> None:
    if case == "expired":
        bad = token(signing_key, exp=int(time.time()) - 10)
    elif case == "wrong_audience":
        bad = token(signing_key, aud="someone-else")
    elif case == "wrong_issuer":
        bad = token(signing_key, iss="https://evil.test")
    elif case == "wrong_key":
        bad = token(new_key())
    elif case == "alg_none":
        bad = jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "mallory",
                          "exp": int(time.time()) + 300}, None, algorithm="none")
    elif case == "hmac_with_the_public_key":
        # The classic confusion: sign with HS256 using the public key as the secret.
        body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "mallory", "exp": int(time.time()) + 300}
        header = {"alg": "HS256", "typ": "JWT"}
        import base64
        import hashlib
        import hmac

        def b64(data: bytes) -> bytes:
            return base64.urlsafe_b64encode(data).rstrip(b"=")

        signing_input = b64(json.dumps(header).encode()) + b"." + b64(json.dumps(body).encode())
        secret = public_pem(signing_key).encode()
        signature = hmac.new(secret, signing_input, hashlib.sha256).digest()
        bad = (signing_input + b"." + b64(signature)).decode()
    else:
        bad = token(signing_key, sub=None)
        bad = jwt.encode({k: v for k, v in jwt.decode(bad, options={"verify_signature": False})
                          .items() if k != "sub"}, signing_key, algorithm="RS256")
    response = ask(pem_server, bad)
    assert response.status_code == 401, response.text
    assert expected in response.json()["error"]["message"].lower()


def test_keys_from_a_jwks_url(tmp_path: Path, signing_key: rsa.RSAPrivateKey) -> None:
    jwk = json.loads(RSAAlgorithm.to_jwk(signing_key.public_key()))
    jwk.update(kid="k1", use="sig", alg="RS256")
    fetched: list[int] = []

    async def jwks(request: Any) -> JSONResponse:
        fetched.append(1)
        return JSONResponse({"keys": [jwk]})

    issuer = Starlette(routes=[Route("/jwks.json", jwks)])
    with running_server(issuer) as issuer_server:
        config = {
            "auth": {"jwt": {"jwks_url": f"{issuer_server.url}/jwks.json",
                             "issuer": ISSUER, "audience": AUDIENCE}},
            "frontends": {"native": {}},
        }
        app = AgentApp(parse_config(config))
        app.agent("whoami")(whoami)
        with running_server(app) as server:
            good = token(signing_key, headers={"kid": "k1"})
            assert answer(ask(server, good)).startswith("carol|")
            assert answer(ask(server, good)).startswith("carol|")
            assert len(fetched) == 1  # keys are cached
            unknown_kid = token(signing_key, headers={"kid": "other"})
            assert ask(server, unknown_kid).status_code == 401


def test_config_refuses_symmetric_or_missing_key_sources() -> None:
    from agenthost import Host

    for table, problem in [
        ({"public_key_file": "k.pem", "issuer": ISSUER, "audience": AUDIENCE,
          "algorithms": ["HS256"]}, "asymmetric"),
        ({"issuer": ISSUER, "audience": AUDIENCE}, "exactly one of"),
        ({"public_key_file": "k.pem", "audience": AUDIENCE}, "issuer"),
    ]:
        with pytest.raises(ConfigError, match=problem):
            Host(parse_config({"auth": {"jwt": table}}))
