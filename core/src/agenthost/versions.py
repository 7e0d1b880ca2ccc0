"""Version ranges: does one requirement range cover another?

Frontends state the client SDK range their tests validate (``Frontend.requirements``); a config
may pin the range its clients use, and ``agenthost check`` fails when the plugin does not cover
it. A range is reduced to one interval (``!=`` exclusions in the covering range count against
it), which is exact for the ``>=``/``<``/``~=``/``==`` ranges requirements use in practice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version
from pydantic import AfterValidator, Field
from pydantic.fields import FieldInfo


@dataclass
class _Interval:
    low: Version | None = None
    low_incl: bool = True
    high: Version | None = None
    high_incl: bool = False

    def raise_low(self, v: Version, incl: bool) -> None:
        if self.low is None or v > self.low or (v == self.low and not incl):
            self.low, self.low_incl = v, incl

    def lower_high(self, v: Version, incl: bool) -> None:
        if self.high is None or v < self.high or (v == self.high and not incl):
            self.high, self.high_incl = v, incl

    def contains(self, v: Version) -> bool:
        if self.low is not None and (v < self.low or (v == self.low and not self.low_incl)):
            return False
        return not (
            self.high is not None and (v > self.high or (v == self.high and not self.high_incl))
        )


def _next(release: tuple[int, ...], depth: int) -> Version:
    """The first version after every ``release[:depth]`` version (``1.4`` → ``1.5``)."""
    head = list(release[:depth]) or [0]
    head[-1] += 1
    return Version(".".join(map(str, head)))


def _interval(spec: SpecifierSet) -> tuple[_Interval, list[Version]]:
    out, excluded = _Interval(), []
    for s in spec:
        op, raw = s.operator, s.version
        wildcard = raw.endswith(".*")
        v = Version(raw[:-2] if wildcard else raw)
        if op == ">=":
            out.raise_low(v, True)
        elif op == ">":
            out.raise_low(v, False)
        elif op == "<=":
            out.lower_high(v, True)
        elif op == "<":
            out.lower_high(v, False)
        elif op in ("==", "===") and wildcard:
            out.raise_low(v, True)
            out.lower_high(_next(v.release, len(v.release)), False)
        elif op in ("==", "==="):
            out.raise_low(v, True)
            out.lower_high(v, True)
        elif op == "~=":
            out.raise_low(v, True)
            out.lower_high(_next(v.release, len(v.release) - 1), False)
        elif op == "!=":
            excluded.append(v)
    return out, excluded


def covers(outer: str, inner: str) -> bool:
    """True when every version in range ``inner`` is in range ``outer`` (both PEP 440)."""
    o, o_excluded = _interval(SpecifierSet(outer))
    i, _ = _interval(SpecifierSet(inner))
    if o.low is not None and (
        i.low is None or i.low < o.low or (i.low == o.low and i.low_incl and not o.low_incl)
    ):
        return False
    if o.high is not None:
        if i.high is None or i.high > o.high:
            return False
        if i.high == o.high and i.high_incl and not o.high_incl:
            return False
    return not any(i.contains(v) for v in o_excluded)


def check_pin(package: str, pinned: str | None, validated: str) -> str | None:
    """Validate a config's pinned range for ``package`` against the range a plugin validated.

    For use in a pydantic validator: returns ``pinned`` or raises ValueError saying why.
    """
    if pinned is None:
        return None
    try:
        SpecifierSet(pinned)
    except InvalidSpecifier:
        raise ValueError(f"{pinned!r} is not a version range such as '>=1.2,<2'") from None
    if not covers(validated, pinned):
        raise ValueError(
            f"{package} {pinned} is not covered: this plugin is validated with "
            f"{package} {validated}; upgrade the plugin or narrow the pin"
        )
    return pinned


def pin_field(package: str, validated: str, example: str) -> Any:
    """An options field (default None) pinning the ``package`` range a deployment's clients use.

    ``openai: str | None = pin_field("openai", VALIDATED, ">=3.51,<3.52")``, checked with
    ``check_pin`` when the config is read.
    """
    field = cast(
        FieldInfo,
        Field(
            default=None,
            description=f"{package} SDK range your clients use (e.g. {example!r}); "
            "`agenthost check` fails unless this plugin is validated for all of it",
        ),
    )
    field.metadata.append(AfterValidator(lambda pinned: check_pin(package, pinned, validated)))
    return field


__all__ = ["check_pin", "covers", "pin_field"]
