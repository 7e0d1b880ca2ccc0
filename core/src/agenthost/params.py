"""Request parameter policies for frontends that speak a model API (OpenAI Responses, Chat).

An agent is not a sampling model, so every parameter a client may send is one of:

- used: the frontend reads it (the fields of its body model);
- no effect: it cannot change an agent's answer, so it is accepted and ignored;
- neutral only: accepted at its neutral value (``temperature`` 1, ``tools`` empty, ...); any
  other value would change the answer, so it is a 400 naming it, unless the operator lists it
  in the frontend's ``ignore_params`` (then it is accepted and ignored).

Anything else is an unknown parameter, also a 400.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .http import HTTPProblem, validation_problem

Check = Callable[[Any], bool]
B = TypeVar("B", bound=BaseModel)


def equals(*neutral: Any) -> Check:
    """One of ``neutral``, of the same JSON type (``1`` is not ``true``)."""
    return lambda value: any(value == n and type(value) is type(n) for n in neutral)


def number(neutral: float) -> Check:
    """Null, or a number (not a boolean) equal to ``neutral``."""
    return lambda value: (
        value is None
        or (isinstance(value, (int, float)) and not isinstance(value, bool) and value == neutral)
    )


def empty(value: Any) -> bool:
    """Null or empty."""
    return not value


@dataclass(frozen=True)
class ParamPolicy:
    """The parameters of one request body, and where an operator may ignore refused ones."""

    section: str  # the config table holding ignore_params, e.g. "frontends.chat"
    used: frozenset[str]
    no_effect: frozenset[str]
    neutral: Mapping[str, tuple[Check, str]]  # name -> (is it neutral?, what is accepted)

    @cached_property
    def known(self) -> frozenset[str]:
        return self.used | self.no_effect | frozenset(self.neutral)

    def parse(self, data: Any, model: type[B], ignored: Collection[str] = ()) -> B:
        """``data`` as ``model``, or an HTTPProblem 400 naming the first offending parameter."""
        if not isinstance(data, dict):
            raise HTTPProblem(400, "request body must be a JSON object", code="invalid_body")
        for name, value in data.items():
            if name not in self.known:
                raise HTTPProblem(
                    400, f"unknown parameter: {name!r}", param=name, code="unknown_parameter"
                )
            rule = self.neutral.get(name)
            if rule is not None and name not in ignored and not rule[0](value):
                raise HTTPProblem(
                    400,
                    f"{name}: {value!r} is not supported: the model is an agent, and this value "
                    f"would change its answer (accepted: {rule[1]}); an operator may accept and "
                    f"ignore it with ignore_params = [{name!r}] in [{self.section}]",
                    param=name,
                    code="unsupported_parameter",
                )
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise validation_problem(exc) from None

    def ignorable(self, names: list[str]) -> list[str]:
        """``names`` if the policy refuses every one of them, else ValueError naming the rest."""
        unknown = sorted(set(names) - set(self.neutral))
        if unknown:
            raise ValueError(
                f"{', '.join(unknown)}: not a parameter the policy refuses "
                f"(those are: {', '.join(sorted(self.neutral))})"
            )
        return names


class PolicyOptions(BaseModel):
    """Base of a frontend's options: ``ignore_params``, checked against the class's ``policy``."""

    model_config = ConfigDict(extra="forbid")
    policy: ClassVar[ParamPolicy]

    ignore_params: list[str] = Field(
        default_factory=list,
        description="parameters to accept and ignore even though they would change the answer",
    )

    @field_validator("ignore_params")
    @classmethod
    def _refused(cls, value: list[str]) -> list[str]:
        return cls.policy.ignorable(value)


__all__ = ["Check", "ParamPolicy", "PolicyOptions", "empty", "equals", "number"]
