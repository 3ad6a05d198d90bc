"""Suppressions: accepted FAIL findings, read from a YAML or TOML file (docs/suppressions.md).

A suppressed finding stays in every output, marked with the entry's reason, owner and
expiry; it no longer fails the scan (``--fail-on``) nor its control's verdict. Only FAIL
findings are suppressed: an ERROR says cldscan could not see, and no entry may hide that.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn

import structlog
import yaml

from scanner.engine import ScanReport
from scanner.errors import ConfigurationError, one_line
from scanner.inventory import Entity, Inventory
from scanner.results import Finding, Status, Suppression

log = structlog.get_logger(__name__)

PROVIDERS = ("aws", "azure", "gcp")
MATCH_KEYS = ("check", "provider", "account", "region", "resource", "resource_regex", "tags")
INFO_KEYS = ("id", "reason", "owner", "expires")
TOP_KEYS = ("version", "suppressions")
VERSION = 1

TagsOf = Callable[[str], Mapping[str, str]]


class SuppressionsError(ConfigurationError):
    """A suppressions file that cannot be used: one line naming the file and line."""


@dataclass(frozen=True)
class Rule:
    """One entry of the file. Every key given must match; globs are ``fnmatch`` patterns."""

    line: int
    mark: Suppression
    check: str | None = None
    provider: str | None = None
    account: str | None = None
    region: str | None = None
    resource: str | None = None
    resource_regex: re.Pattern[str] | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    def expired(self, today: date) -> bool:
        """Past its expiry date: ``expires`` is the last day the entry applies."""
        return self.mark.expires is not None and today > self.mark.expires

    def matches(self, finding: Finding, tags: Mapping[str, str]) -> bool:
        r = finding.resource
        globs = (
            (self.check, finding.check_id),
            (self.account, r.account),
            (self.region, r.region),
            (self.resource, r.id),
        )
        if any(p is not None and not fnmatch.fnmatchcase(v, p) for p, v in globs):
            return False
        if self.provider is not None and self.provider != r.provider:
            return False
        if self.resource_regex is not None and not self.resource_regex.fullmatch(r.id):
            return False
        return all(k in tags and fnmatch.fnmatchcase(tags[k], v) for k, v in self.tags.items())


@dataclass(frozen=True)
class Suppressions:
    path: Path
    rules: tuple[Rule, ...]


def load(path: Path) -> Suppressions:
    """Read and validate a suppressions file (``.toml`` is TOML, anything else YAML)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise SuppressionsError(f"cannot read suppressions file {path}: {reason}") from None
    if path.suffix.lower() == ".toml":
        entries, lines = _read_toml(path, text)
    else:
        entries, lines = _read_yaml(path, text)
    rules: list[Rule] = []
    ids: set[str] = set()
    for n, (entry, line) in enumerate(zip(entries, lines, strict=True), 1):
        rule = _rule(path, n, line, entry)
        if rule.mark.entry in ids:
            _fail(path, line, n, f"duplicate id {rule.mark.entry!r}")
        ids.add(rule.mark.entry)
        rules.append(rule)
    return Suppressions(path, tuple(rules))


def _fail(path: Path, line: int, n: int | None, what: str) -> NoReturn:
    where = f"{path}:{line}" if line else str(path)
    entry = f" suppression entry {n}:" if n else ""
    raise SuppressionsError(one_line(f"{where}:{entry} {what}"))


class _Loader(yaml.SafeLoader):
    """Safe YAML whose dates stay strings, so a bad one is reported with its entry."""


def _date_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _date_text)


def _read_yaml(path: Path, text: str) -> tuple[list[Any], list[int]]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        _fail(path, mark.line + 1 if mark else 0, None, f"not valid YAML: {problem}")
    finally:
        loader.dispose()
    if data is None or node is None:
        return [], []
    seq_node: yaml.Node | None = node
    if isinstance(data, dict):
        _check_top(path, data)
        seq_node = next((v for k, v in node.value if k.value == "suppressions"), None)
        data = data.get("suppressions") or []
    if not isinstance(data, list) or not isinstance(seq_node, yaml.SequenceNode | None):
        _fail(path, 1, None, "expected a list of entries under 'suppressions:'")
    lines = [item.start_mark.line + 1 for item in seq_node.value] if seq_node else []
    return data, lines


_TOML_HEADER = re.compile(r"^\s*\[\[\s*(\"?)suppressions\1\s*\]\]")


def _read_toml(path: Path, text: str) -> tuple[list[Any], list[int]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        _fail(path, int(found.group(1)) if found else 0, None, f"not valid TOML: {exc}")
    _check_top(path, data)
    entries = data.get("suppressions", [])
    if not isinstance(entries, list):
        _fail(path, 0, None, "expected [[suppressions]] tables")
    headers = [n for n, line in enumerate(text.splitlines(), 1) if _TOML_HEADER.match(line)]
    lines = headers if len(headers) == len(entries) else [0] * len(entries)
    return entries, lines


def _check_top(path: Path, data: Mapping[str, Any]) -> None:
    unknown = sorted(set(data) - set(TOP_KEYS), key=str)  # keys may be any YAML scalar
    if unknown:
        allowed = ", ".join(TOP_KEYS)
        _fail(path, 1, None, f"unknown top-level key {unknown[0]!r} (allowed: {allowed})")
    version = data.get("version", VERSION)
    if version != VERSION:
        _fail(path, 1, None, f"version {version!r} is not supported (this cldscan reads {VERSION})")


def _rule(path: Path, n: int, line: int, entry: Any) -> Rule:
    def fail(what: str) -> NoReturn:
        _fail(path, line, n, what)

    if not isinstance(entry, dict):
        fail("an entry must be a mapping of keys (check, reason, owner, ...)")
    unknown = sorted(set(entry) - set(MATCH_KEYS) - set(INFO_KEYS), key=str)
    if unknown:
        fail(f"unknown key {unknown[0]!r} (allowed: {', '.join(MATCH_KEYS + INFO_KEYS)})")
    text: dict[str, str] = {}
    for key in ("id", "reason", "owner", *(k for k in MATCH_KEYS if k not in ("provider", "tags"))):
        value = entry.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            hint = " (quote it: YAML reads digits as a number)" if isinstance(value, int) else ""
            fail(f"{key!r} must be a non-empty string{hint}")
        text[key] = value.strip()
    for key in ("reason", "owner"):
        if key not in text:
            fail(f"{key!r} is required")
    provider = entry.get("provider")
    if provider is not None and provider not in PROVIDERS:
        fail(f"provider {provider!r} is not one of {', '.join(PROVIDERS)}")
    if "resource" in text and "resource_regex" in text:
        fail("give 'resource' (a glob) or 'resource_regex', not both")
    regex = None
    if "resource_regex" in text:
        try:
            regex = re.compile(text["resource_regex"])
        except re.error as exc:
            fail(f"bad pattern in 'resource_regex': {exc}")
    tags = entry.get("tags", {})
    if not isinstance(tags, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in tags.items()
    ):
        fail("'tags' must map tag names to string values (quote numbers and booleans)")
    if not any(entry.get(key) for key in MATCH_KEYS):
        fail(f"the entry would match every finding: give one of {', '.join(MATCH_KEYS)}")
    expires = _date(entry.get("expires"), fail)
    mark = Suppression(
        reason=text["reason"],
        owner=text["owner"],
        expires=expires,
        entry=text.get("id") or f"{path.name}:{line or n}",
    )
    return Rule(
        line=line,
        mark=mark,
        check=text.get("check"),
        provider=provider,
        account=text.get("account"),
        region=text.get("region"),
        resource=text.get("resource"),
        resource_regex=regex,
        tags=dict(tags),
    )


def _date(value: Any, fail: Callable[[str], NoReturn]) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        fail(f"bad date {value!s} for 'expires': give a day, YYYY-MM-DD")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    fail(f"bad date {value!r} for 'expires': use YYYY-MM-DD")


def tags_from(inv: Inventory) -> TagsOf:
    """The tags of a finding's resource, looked up in the inventory (none for scopes)."""

    def tags_of(resource_id: str) -> Mapping[str, str]:
        entity = inv.get(resource_id, Entity)
        return entity.tags if entity is not None else {}

    return tags_of


def apply(
    report: ScanReport, suppressions: Suppressions, tags_of: TagsOf, today: date
) -> ScanReport:
    """Mark the FAIL findings that an unexpired entry matches (the first one in the file)."""
    active = [r for r in suppressions.rules if not r.expired(today)]
    expired = [r for r in suppressions.rules if r.expired(today)]
    for rule in expired:
        log.warning(
            "suppression_expired",
            entry=rule.mark.entry,
            owner=rule.mark.owner,
            expires=str(rule.mark.expires),
            file=str(suppressions.path),
        )
    used: set[int] = set()
    findings = []
    for finding in report.findings:
        match = _first_match(active, finding, tags_of) if finding.status is Status.FAIL else None
        if match is not None:
            used.add(id(match))
        findings.append(dataclasses.replace(finding, suppression=match.mark) if match else finding)
    unused = [r for r in active if id(r) not in used]
    for rule in unused:
        log.info("suppression_unused", entry=rule.mark.entry, file=str(suppressions.path))
    return dataclasses.replace(
        report,
        findings=tuple(findings),
        expired_suppressions=tuple(r.mark for r in expired),
        unused_suppressions=tuple(r.mark for r in unused),
        _summary=[],
    )


def _first_match(rules: Sequence[Rule], finding: Finding, tags_of: TagsOf) -> Rule | None:
    tags: Mapping[str, str] | None = None
    for rule in rules:
        if rule.tags and tags is None:
            tags = tags_of(finding.resource.id)
        if rule.matches(finding, tags or {}):
            return rule
    return None
