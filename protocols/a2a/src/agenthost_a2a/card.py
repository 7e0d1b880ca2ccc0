"""Agent cards, generated from the agent's ``AgentInfo``, its config and the frontend's options."""

from __future__ import annotations

from a2a.types import (
    AgentCapabilities,
    AgentCard,
    AgentInterface,
    AgentSkill,
    HTTPAuthSecurityScheme,
    SecurityRequirement,
    SecurityScheme,
    StringList,
)

from agenthost.adapter import AgentInfo

BEARER = "bearer"


def build_card(
    info: AgentInfo,
    *,
    url: str,
    versions: tuple[str, ...],
    bindings: tuple[str, ...],
    version: str,
    push_notifications: bool,
    api_keys: bool,
    grpc: list[AgentInterface] | None = None,
) -> AgentCard:
    """The card of one agent whose HTTP endpoints (both bindings) live at ``url``, plus its
    gRPC interfaces, if any.

    Interfaces are listed newest version first: clients pick the first they support.
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
    if api_keys:
        card.security_schemes[BEARER].CopyFrom(
            SecurityScheme(
                http_auth_security_scheme=HTTPAuthSecurityScheme(
                    scheme="bearer",
                    description="one of the host's keys, as 'Authorization: Bearer <key>'",
                )
            )
        )
        card.security_requirements.append(SecurityRequirement(schemes={BEARER: StringList()}))
    return card
