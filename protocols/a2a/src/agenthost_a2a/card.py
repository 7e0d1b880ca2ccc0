"""Agent cards, generated from the agent's ``AgentInfo``, its config and the frontend's options."""

from __future__ import annotations

from typing import Any

from a2a.types import (
    AgentCapabilities,
    AgentCard,
    AgentInterface,
    AgentSkill,
    APIKeySecurityScheme,
    HTTPAuthSecurityScheme,
    MutualTlsSecurityScheme,
    OAuth2SecurityScheme,
    OpenIdConnectSecurityScheme,
    SecurityRequirement,
    SecurityScheme,
    StringList,
)
from google.protobuf.json_format import ParseDict

from agenthost.adapter import AgentInfo


def security_scheme(name: str, openapi: dict[str, Any]) -> SecurityScheme | None:
    """An authenticator's OpenAPI security scheme object as an A2A ``SecurityScheme``
    (None for a type A2A does not describe)."""
    kind = openapi.get("type")
    description = openapi.get("description") or f"the host's {name} authenticator"
    if kind == "http":
        scheme = openapi.get("scheme", "bearer")
        if scheme.lower() == "bearer" and "description" not in openapi:
            description = f"{name}: send 'Authorization: Bearer <credential>'"
        return SecurityScheme(
            http_auth_security_scheme=HTTPAuthSecurityScheme(
                scheme=scheme,
                bearer_format=openapi.get("bearerFormat", ""),
                description=description,
            )
        )
    if kind == "apiKey":
        return SecurityScheme(
            api_key_security_scheme=APIKeySecurityScheme(
                location=openapi.get("in", "header"),
                name=openapi.get("name", ""),
                description=description,
            )
        )
    if kind == "openIdConnect":
        return SecurityScheme(
            open_id_connect_security_scheme=OpenIdConnectSecurityScheme(
                open_id_connect_url=openapi.get("openIdConnectUrl", ""), description=description
            )
        )
    if kind == "mutualTLS":
        return SecurityScheme(mtls_security_scheme=MutualTlsSecurityScheme(description=description))
    if kind == "oauth2":
        fields = {"description": description, "flows": openapi.get("flows", {})}
        return SecurityScheme(
            oauth2_security_scheme=ParseDict(
                fields, OAuth2SecurityScheme(), ignore_unknown_fields=True
            )
        )
    return None


def build_card(
    info: AgentInfo,
    *,
    url: str,
    versions: tuple[str, ...],
    bindings: tuple[str, ...],
    version: str,
    push_notifications: bool,
    security_schemes: dict[str, dict[str, Any]],
    grpc: list[AgentInterface] | None = None,
) -> AgentCard:
    """The card of one agent whose HTTP endpoints (both bindings) live at ``url``, plus its
    gRPC interfaces, if any.

    Interfaces are listed newest version first: clients pick the first they support.
    ``security_schemes`` are the host's authenticators (``host.auth.security_schemes()``):
    each is one way in, so each is a security requirement of its own (any one will do).
    """
    ordered = sorted(versions, key=lambda v: tuple(int(x) for x in v.split(".")), reverse=True)
    interfaces = [
        AgentInterface(url=url, protocol_binding=binding, protocol_version=v)
        for v in ordered
        for binding in bindings
    ] + list(grpc or ())
    skills = [
        AgentSkill(
            id=s.id,
            name=s.name,
            description=s.description or s.name,
            tags=s.tags or [info.framework or "agent"],
            examples=s.examples,
        )
        for s in info.skills
    ] or [
        AgentSkill(
            id=info.name,
            name=info.name,
            description=info.description or f"The {info.name} agent",
            tags=[info.framework or "agent"],
        )
    ]
    card = AgentCard(
        name=info.name,
        description=info.description or f"The {info.name} agent, served by agenthost",
        version=version,
        supported_interfaces=interfaces,
        capabilities=AgentCapabilities(
            streaming=info.streaming, push_notifications=push_notifications
        ),
        default_input_modes=info.input_modes,
        default_output_modes=info.output_modes,
        skills=skills,
    )
    for name, openapi in security_schemes.items():
        scheme = security_scheme(name, openapi)
        if scheme is not None:
            card.security_schemes[name].CopyFrom(scheme)
            card.security_requirements.append(SecurityRequirement(schemes={name: StringList()}))
    return card
