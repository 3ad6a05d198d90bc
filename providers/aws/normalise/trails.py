"""CloudTrail trails with their status and event selectors."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from providers.aws.arns import Ctx
from providers.aws.normalise.common import Raw, opt_bool, tags_of
from scanner.inventory import AuditTrail

PROVIDER = "aws"
Selectors = Mapping[str, Any]


# CIS AWS 3.1 asks for a trail that records every management event, with no exclusions.
# A selector that drops some event sources (KMS, RDS Data API, ...) therefore counts as
# recording neither reads nor writes completely: it adds nothing to mgmt_read/mgmt_write,
# just as one that drops all management events does, so such a trail is not complete.


def _basic(selectors: Sequence[Raw]) -> tuple[bool, bool, bool | None]:
    read = write = False
    for s in selectors:
        if s.get("IncludeManagementEvents", True) and not s.get("ExcludeManagementEventSources"):
            rw = s.get("ReadWriteType", "All")
            read = read or rw in ("All", "ReadOnly")
            write = write or rw in ("All", "WriteOnly")
    if any(s.get("DataResources") for s in selectors):
        return read, write, True
    # moto omits DataResources entirely: without the key nothing says "no data events".
    return read, write, False if all("DataResources" in s for s in selectors) else None


_OPERATORS: Mapping[str, Callable[[str, list[str]], bool]] = {
    "Equals": lambda value, given: value in given,
    "NotEquals": lambda value, given: value not in given,
    "StartsWith": lambda value, given: any(value.startswith(g) for g in given),
    "NotStartsWith": lambda value, given: not any(value.startswith(g) for g in given),
    "EndsWith": lambda value, given: any(value.endswith(g) for g in given),
    "NotEndsWith": lambda value, given: not any(value.endswith(g) for g in given),
}


def _field(selector: Raw, name: str) -> Raw | None:
    fields: Sequence[Raw] = selector.get("FieldSelectors") or ()
    return next((f for f in fields if f.get("Field") == name), None)


def _admits(field: Raw, value: str) -> bool:
    """Whether a value passes every operator of an advanced field selector."""
    return all(
        test(value, [str(v) for v in field.get(op) or ()])
        for op, test in _OPERATORS.items()
        if field.get(op)
    )


def _advanced(selectors: Sequence[Raw]) -> tuple[bool, bool, bool]:
    read = write = data = False
    for s in selectors:
        category = _field(s, "eventCategory")
        if category is None:
            continue
        if _admits(category, "Management") and _field(s, "eventSource") is None:
            read_only = _field(s, "readOnly")
            read = read or read_only is None or _admits(read_only, "true")
            write = write or read_only is None or _admits(read_only, "false")
        if _admits(category, "Data"):
            data = True
    return read, write, data


def event_coverage(selectors: Selectors | None) -> tuple[bool | None, bool | None, bool | None]:
    """(management reads, management writes, data events) from GetEventSelectors."""
    if selectors is None:
        return None, None, None
    if selectors.get("AdvancedEventSelectors"):
        return _advanced(selectors["AdvancedEventSelectors"])
    return _basic(selectors.get("EventSelectors") or ())


def trail(raw: Raw, ctx: Ctx, status: Raw | None, selectors: Selectors | None) -> AuditTrail:
    """A trail in its home region; ``status``/``selectors`` are ``None`` when not read."""
    read, write, data = event_coverage(selectors)
    key = raw.get("KmsKeyId")
    log_group = raw.get("CloudWatchLogsLogGroupArn")
    tags = tags_of(raw, "TagsList")
    return AuditTrail(
        id=str(raw["TrailARN"]),
        provider=PROVIDER,
        account=ctx.account,
        region=ctx.region,
        name=str(raw.get("Name", "")),
        tags=tags,
        all_regions=opt_bool(raw, "IsMultiRegionTrail"),
        org_wide=opt_bool(raw, "IsOrganizationTrail"),
        logging=opt_bool(status, "IsLogging") if status is not None else None,
        mgmt_read=read,
        mgmt_write=write,
        data_events=data,
        store_id=str(raw.get("S3BucketName", "")),
        validated=opt_bool(raw, "LogFileValidationEnabled"),
        encrypted_cmk=bool(key),
        key_id=key,
        log_group_id=log_group.removesuffix(":*") if log_group else None,
    )
