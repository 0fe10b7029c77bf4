"""The desk's hand-kept configuration: files a reporter edits directly in notebooks/.

They are not downloads, so they are not in the raw snapshot; every render validates them and
an error names the file, the entry and the field.
"""

import re
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from entitylist import paths
from entitylist.errors import ConfigError

COMPANIES = paths.NOTEBOOKS / "companies.yaml"


class Company(BaseModel):
    """One of the eight companies, as the desk writes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
    name: Annotated[str, Field(min_length=1)]
    name_zh: str | None = None
    entry_no: Annotated[int, Field(ge=1, le=28)]
    match: Annotated[str, Field(min_length=1)]

    @field_validator("match")
    @classmethod
    def compiles(cls, value: str) -> str:
        """The match pattern must be a valid regular expression."""
        try:
            re.compile(value)
        except re.error as exc:
            msg = f"not a valid regular expression ({exc})"
            raise ValueError(msg) from None
        return value


class Companies(BaseModel):
    """The companies file: eight companies with distinct slugs and entry numbers."""

    model_config = ConfigDict(extra="forbid")

    companies: list[Company]

    @field_validator("companies")
    @classmethod
    def distinct(cls, value: list[Company]) -> list[Company]:
        """Slugs and entry numbers identify a company: no two may share one."""
        for attribute in ("slug", "entry_no"):
            seen = [getattr(company, attribute) for company in value]
            twice = sorted({str(v) for v in seen if seen.count(v) > 1})
            if twice:
                msg = f"{attribute} {twice[0]} is given to more than one company"
                raise ValueError(msg)
        return value


def location(error: dict, document: object) -> str:
    """Name where a validation error sits: 'companies[3] (dahua), field entry_no'."""
    node, named, fields = document, [], []
    for part in error["loc"]:
        if isinstance(part, int) and isinstance(node, list) and part < len(node):
            node = node[part]
            label = node.get("slug") if isinstance(node, dict) else None
            named[-1] += f"[{part + 1}]" + (f" ({label})" if label else "")
        elif not named:
            named.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
        else:
            fields.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
    return ", ".join(named + ([f"field {'.'.join(fields)}"] if fields else []))


def load(path: Path, model: type[BaseModel]) -> BaseModel:
    """Read a YAML configuration file and validate it, naming the file and the entry at fault."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        msg = f"{paths.shown(path)}: missing"
        raise ConfigError(msg) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        msg = f"{path.name}{where}: not valid YAML: {getattr(exc, 'problem', exc)}"
        raise ConfigError(msg) from None
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        msg = f"{path.name}: {location(first, document)}: {first['msg']}"
        raise ConfigError(msg) from None


def companies(path: Path | None = None) -> list[Company]:
    """The eight companies, validated, read from the file as it is now."""
    return load(path or COMPANIES, Companies).companies


PUBLISHERS = paths.NOTEBOOKS / "publishers.yaml"
Host = Annotated[str, Field(pattern=r"^[a-z0-9.-]+$")]


class Copy(BaseModel):
    """A host that republishes another publisher's work."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1)]
    original: Annotated[str, Field(min_length=1)]
    document: bool = False


class Publishers(BaseModel):
    """The publisher registry: original documents, copies, aggregators, names."""

    model_config = ConfigDict(extra="forbid")

    primary: dict[Host, str]
    copies: dict[Host, Copy]
    aggregators: dict[Host, str]
    names: dict[Host, str]
    pages: dict[str, Copy] = Field(default_factory=dict)

    @field_validator("names")
    @classmethod
    def once(cls, value: dict[str, str], info) -> dict[str, str]:
        """A host is classified once."""
        earlier = {
            h for part in ("primary", "copies", "aggregators") for h in info.data.get(part, {})
        }
        twice = sorted(earlier & set(value))
        if twice:
            msg = f"{twice[0]} is listed twice"
            raise ValueError(msg)
        return value


def publishers(path: Path | None = None) -> Publishers:
    """The publisher registry, validated, read from the file as it is now."""
    return load(path or PUBLISHERS, Publishers)
