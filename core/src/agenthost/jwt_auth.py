"""The ``jwt`` authenticator: Bearer JWTs verified with PyJWT against a JWKS URL or a key.

``[auth.jwt]`` pins the issuer, the audience and the algorithms; ``alg: none`` and HMAC
algorithms are refused (a public key must not double as an HMAC secret). Needs
``agenthost[jwt]`` (PyJWT with its crypto extra).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .auth import Authenticator, AuthError, bearer_token
from .errors import ConfigError
from .events import Principal

ASYMMETRIC = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


class JwtOptions(BaseModel):
    """``[auth.jwt]``: where the keys come from and what a token must say."""

    model_config = ConfigDict(extra="forbid")

    jwks_url: str | None = Field(default=None, description="the issuer's JWKS (https)")
    public_key_file: str | None = Field(default=None, description="a PEM public key file")
    issuer: str = Field(description="the required 'iss'")
    audience: str = Field(description="the required 'aud'")
    algorithms: list[str] = Field(default_factory=lambda: ["RS256"])
    principal_claim: str = Field(default="sub", description="the claim naming the principal")
    name_claim: str = "name"
    scopes_claim: str = Field(default="scope", description="space-separated string or a list")
    leeway_seconds: float = Field(default=0, ge=0, le=300)

    @field_validator("algorithms")
    @classmethod
    def _asymmetric(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("name at least one algorithm (e.g. RS256)")
        bad = [a for a in value if a not in ASYMMETRIC]
        if bad:
            raise ValueError(
                f"{', '.join(map(repr, bad))} not allowed: use asymmetric algorithms "
                f"({', '.join(sorted(ASYMMETRIC))})"
            )
        return value

    @model_validator(mode="after")
    def _one_key_source(self) -> JwtOptions:
        if (self.jwks_url is None) == (self.public_key_file is None):
            raise ValueError("give exactly one of jwks_url and public_key_file")
        return self


class JwtAuthenticator(Authenticator):
    name = "jwt"
    Options = JwtOptions

    def __init__(self, options: JwtOptions):
        super().__init__(options)
        try:
            import jwt
        except ImportError:
            raise ConfigError(
                ["auth.jwt: PyJWT is not installed; pip install 'agenthost[jwt]'"]
            ) from None
        self.jwt = jwt
        self.opts = options
        self._key: Any = None
        self._jwks: Any = None
        if options.public_key_file is not None:
            try:
                self._key = Path(options.public_key_file).read_text()
            except OSError as exc:
                raise ConfigError([f"auth.jwt.public_key_file: cannot read: {exc}"]) from None
        else:
            self._jwks = jwt.PyJWKClient(str(options.jwks_url), cache_keys=True, lifespan=300)

    async def _signing_key(self, token: str) -> Any:
        if self._key is not None:
            return self._key
        try:
            # PyJWKClient fetches over blocking urllib (cached after the first call).
            return (await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)).key
        except self.jwt.PyJWKClientError as exc:
            raise AuthError(f"invalid token: {exc}") from None

    async def authenticate(self, headers: Mapping[str, str]) -> Principal | None:
        token = bearer_token(headers)
        if token is None or token.count(".") != 2:
            return None  # not a JWT: another authenticator's (an API key, say)
        o = self.opts
        try:
            key = await self._signing_key(token)
            claims = self.jwt.decode(
                token,
                key,
                algorithms=o.algorithms,
                audience=o.audience,
                issuer=o.issuer,
                leeway=o.leeway_seconds,
                options={"require": ["exp", "iss", "aud", o.principal_claim]},
            )
        except self.jwt.PyJWTError as exc:
            raise AuthError(f"invalid token: {exc}") from None
        subject = claims.get(o.principal_claim)
        if not isinstance(subject, str) or not subject:
            raise AuthError(f"invalid token: claim {o.principal_claim!r} is not a string")
        scopes = claims.get(o.scopes_claim, ())
        if isinstance(scopes, str):
            scopes = scopes.split()
        return Principal(
            id=subject,
            name=str(claims.get(o.name_claim, "")),
            scopes=frozenset(s for s in scopes if isinstance(s, str)),
            claims=claims,
        )
