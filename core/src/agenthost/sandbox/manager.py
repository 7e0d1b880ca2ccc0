"""Placeholder sandbox manager (replaced by the sandbox layer)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class PlaceholderOptions(BaseModel):
    model_config = ConfigDict(extra="allow")


class PlaceholderBackend:
    name = "local"
    Options = PlaceholderOptions


class SandboxManager:
    def __init__(self, profiles: dict[str, dict[str, Any]], plugins: Any):
        self.profiles = profiles

    async def start(self) -> None:
        pass

    async def for_session(self, profile: str, session_id: str) -> Any:
        raise RuntimeError("the sandbox layer is not available in this build")

    async def close(self) -> None:
        pass

    def describe(self) -> dict[str, Any]:
        return {}
