"""Logging sinks as audit trails; log-based metrics with alert policies as alert rules."""

from __future__ import annotations

import re
from collections.abc import Sequence

from providers.gcp.normalise.common import Ctx, Json
from scanner import events
from scanner.inventory import GLOBAL, AlertRule, AuditTrail

_METRIC_REF = re.compile(r'metric\.type\s*=\s*"logging\.googleapis\.com/user/([^"]+)"')


STORAGE_PREFIX = "storage.googleapis.com/"


def sink(ctx: Ctx, item: Json, immutable: bool | None = None) -> AuditTrail:
    """``immutable``: whether the sink's Cloud Storage bucket has a locked retention policy
    (``None`` for other destinations, or when the bucket could not be read)."""
    name = str(item.get("name", ""))
    return AuditTrail(
        **ctx.base(f"projects/{ctx.project}/sinks/{name}", GLOBAL, name),
        store_id=str(item.get("destination", "")),
        filter_expr=str(item.get("filter", "")),  # absent: the sink exports every entry
        logging=not item.get("disabled", False),
        all_regions=True,
        immutable=immutable,
    )


def storage_bucket(destination: str) -> str | None:
    """The bucket name of a ``storage.googleapis.com/BUCKET`` sink destination."""
    if not destination.startswith(STORAGE_PREFIX):
        return None
    return destination.removeprefix(STORAGE_PREFIX).split("/", 1)[0] or None


def retention_locked(bucket: Json) -> bool:
    """Whether a Cloud Storage bucket's retention policy is locked (Bucket Lock).

    The JSON API leaves ``retentionPolicy`` out when the bucket has none, and
    ``isLocked`` out until the policy is locked: both absences mean unlocked."""
    policy = bucket.get("retentionPolicy") or {}
    return policy.get("isLocked") is True


def _has_all(text: str, words: tuple[str, ...]) -> bool:
    return all(w in text for w in words)


def event_classes(log_filter: str) -> tuple[str, ...]:
    """Which event classes a log filter selects (the CIS GCP 2.4-2.9 patterns)."""
    text = " ".join(log_filter.split())
    found: list[str] = []
    if "ProjectOwnership" in text or (
        "bindingDeltas" in text and 'role="roles/owner"' in text.replace(" ", "")
    ):
        found.append(events.OWNERSHIP_CHANGE)
    if "auditConfigDeltas" in text:
        found.append(events.AUDIT_CONFIG_CHANGE)
    if 'resource.type="iam_role"' in text and _has_all(
        text, ("CreateRole", "DeleteRole", "UpdateRole")
    ):
        found.append(events.CUSTOM_ROLE_CHANGE)
    if 'resource.type="gce_firewall_rule"' in text and _methods(
        text, "compute.firewalls.", ("insert", "patch", "delete")
    ):
        found.append(events.FIREWALL_RULE_CHANGE)
    if 'resource.type="gce_route"' in text and _methods(
        text, "compute.routes.", ("insert", "delete")
    ):
        found.append(events.ROUTE_TABLE_CHANGE)
    if 'resource.type="gce_network"' in text and _methods(
        text, "compute.networks.", ("insert", "patch", "delete", "removePeering", "addPeering")
    ):
        found.append(events.VPC_CHANGE)
    return tuple(found)


def _methods(text: str, prefix: str, verbs: tuple[str, ...]) -> bool:
    """No method restriction at all, or every listed method present."""
    if "methodName" not in text:
        return True
    return all(f"{prefix}{v}" in text for v in verbs)


def alert_rules(
    ctx: Ctx, policies: Sequence[Json], metrics: Sequence[Json], channels: Sequence[Json] | None
) -> list[AlertRule]:
    """One rule per (alert policy, log-based metric its conditions watch), plus one per
    log-match condition. ``channels`` is ``None`` when they could not be read."""
    filters = {str(m.get("name", "")): str(m.get("filter", "")) for m in metrics}
    enabled_channels = (
        None
        if channels is None
        else {str(c.get("name")) for c in channels if c.get("enabled", True)}
    )
    out: list[AlertRule] = []
    for policy in policies:
        name = str(policy.get("name", ""))
        targets = tuple(str(c) for c in policy.get("notificationChannels") or [])
        verified = None if enabled_channels is None else bool(enabled_channels & set(targets))
        common = {
            "source_id": f"projects/{ctx.project}",
            # Absent "enabled" reads as false in proto3 JSON; the API always sends it.
            "enabled": bool(policy.get("enabled", False)),
            "targets": targets,
            "target_verified": verified,
        }
        for condition in policy.get("conditions") or []:
            threshold = condition.get("conditionThreshold") or condition.get("conditionAbsent")
            for metric in _METRIC_REF.findall(str((threshold or {}).get("filter", ""))):
                log_filter = filters.get(metric)
                if log_filter is None:
                    continue
                out.append(
                    AlertRule(
                        **ctx.base(
                            f"{name}#{metric}", GLOBAL, str(policy.get("displayName", metric))
                        ),
                        event_classes=event_classes(log_filter),
                        match_expr=log_filter,
                        **common,  # type: ignore[arg-type]
                    )
                )
            matched = condition.get("conditionMatchedLog")
            if matched:
                log_filter = str(matched.get("filter", ""))
                out.append(
                    AlertRule(
                        **ctx.base(
                            f"{name}#{condition.get('name', 'log')}",
                            GLOBAL,
                            str(policy.get("displayName", "")),
                        ),
                        event_classes=event_classes(log_filter),
                        match_expr=log_filter,
                        **common,  # type: ignore[arg-type]
                    )
                )
    return out
