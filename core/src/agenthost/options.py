"""The options model of a component that has no options."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class NoOptions(BaseModel):
    """Accepts an empty table only, so a misspelt key is still an error."""

    model_config = ConfigDict(extra="forbid")
