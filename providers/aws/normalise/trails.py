"""CloudTrail trails with their status and event selectors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from providers.aws.arns import Ctx
from providers.aws.normalise.common import Raw, opt_bool, tags_of
from scanner.inventory import AuditTrail

PROVIDER = "aws"
Selectors = Mapping[str, Any]


def _basic(selectors: Sequence[Raw]) -> tuple[bool, bool, bool | None]:
    read = write = False
    for s in selectors:
        if s.get("IncludeManagementEvents", True):
            rw = s.get("ReadWriteType", "All")
            read = read or rw in ("All", "ReadOnly")
            write = write or rw in ("All", "WriteOnly")
    if any(s.get("DataResources") for s in selectors):
        return read, write, True
    # moto omits DataResources entirely: without the key nothing says "no data events".
    return read, write, False if all("DataResources" in s for s in selectors) else None


def _field(selector: Raw, name: str) -> list[str] | None:
    for f in selector.get("FieldSelectors") or ():
        if f.get("Field") == name:
            return [str(v) for v in f.get("Equals") or ()]
    return None


def _advanced(selectors: Sequence[Raw]) -> tuple[bool, bool, bool]:
    read = write = data = False
    for s in selectors:
        category = _field(s, "eventCategory") or []
        if "Management" in category:
            read_only = _field(s, "readOnly")
            read = read or read_only is None or "true" in read_only
            write = write or read_only is None or "false" in read_only
        if "Data" in category:
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
