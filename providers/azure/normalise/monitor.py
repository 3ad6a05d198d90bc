"""Activity-log diagnostic settings, activity-log alerts and Defender for Cloud plans."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from providers.azure.normalise.common import PROVIDER, base, enum_str, get, lid
from scanner import events
from scanner.inventory import GLOBAL, AlertRule, AuditTrail, SecurityService

ACTIVITY_LOG_CATEGORIES = (
    "Administrative",
    "Security",
    "ServiceHealth",
    "Alert",
    "Recommendation",
    "Policy",
    "Autoscale",
    "ResourceHealth",
)
_CANONICAL = {c.lower(): c for c in ACTIVITY_LOG_CATEGORIES}

OPERATION_CLASSES: tuple[tuple[str, str], ...] = (
    ("microsoft.authorization/policyassignments/", events.POLICY_ASSIGNMENT_CHANGE),
    ("microsoft.network/networksecuritygroups/", events.NSG_CHANGE),
    ("microsoft.security/securitysolutions/", events.SECURITY_SOLUTION_CHANGE),
    ("microsoft.network/publicipaddresses/", events.PUBLIC_IP_CHANGE),
    ("microsoft.sql/servers/firewallrules/", events.FIREWALL_RULE_CHANGE),
    ("microsoft.authorization/roleassignments/", events.IAM_POLICY_CHANGE),
)
"""operationName prefix → event class; the operation must end in /write or /delete."""
RECEIVER_FIELDS = (
    "email_receivers",
    "sms_receivers",
    "webhook_receivers",
    "itsm_receivers",
    "azure_app_push_receivers",
    "automation_runbook_receivers",
    "voice_receivers",
    "logic_app_receivers",
    "azure_function_receivers",
    "arm_role_receivers",
    "event_hub_receivers",
)


def diagnostic_setting(setting: Mapping[str, Any], sub: str) -> AuditTrail:
    """A subscription diagnostic setting as raw ARM JSON (the SDK lacks the operation)."""
    props = setting.get("properties") or {}
    enabled: list[str] = []
    for entry in props.get("logs") or ():
        if not entry.get("enabled"):
            continue
        group = str(entry.get("categoryGroup") or "").lower()
        if group in ("alllogs", "audit"):
            enabled.extend(ACTIVITY_LOG_CATEGORIES)
        elif entry.get("category"):
            category = str(entry["category"])
            enabled.append(_CANONICAL.get(category.lower(), category))
    categories = tuple(dict.fromkeys(enabled))
    store = (
        props.get("storageAccountId")
        or props.get("workspaceId")
        or props.get("eventHubAuthorizationRuleId")
    )
    return AuditTrail(
        **base(setting, sub, global_scope=True),
        all_regions=True,
        org_wide=False,
        logging=bool(categories),
        mgmt_read=None,
        mgmt_write="Administrative" in categories,
        data_events=None,
        store_id=lid(store),
        validated=None,
        encrypted_cmk=None,
        categories=categories,
    )


def _leaves(conditions: Iterable[Any]) -> Iterable[tuple[str, str]]:
    for cond in conditions or ():
        if get(cond, "field") and get(cond, "equals") is not None:
            yield str(get(cond, "field")), str(get(cond, "equals"))
        for value in get(cond, "contains_any") or ():
            if get(cond, "field"):
                yield str(get(cond, "field")), str(value)
        yield from _leaves(get(cond, "any_of") or ())


def _expr(conditions: Iterable[Any]) -> str:
    parts = []
    for cond in conditions or ():
        if get(cond, "any_of"):
            inner = " || ".join(f"{f}={v}" for f, v in _leaves(get(cond, "any_of")))
            parts.append(f"({inner})")
        elif get(cond, "field"):
            parts.extend(f"{f}={v}" for f, v in _leaves([cond]))
    return " && ".join(parts)


def event_classes(conditions: Iterable[Any]) -> tuple[str, ...]:
    found: list[str] = []
    for field, value in _leaves(conditions):
        name, text = field.lower(), value.lower()
        if name == "category" and text == "servicehealth":
            found.append(events.PROVIDER_HEALTH)
        if name != "operationname" or not text.endswith(("/write", "/delete")):
            continue
        found.extend(cls for prefix, cls in OPERATION_CLASSES if text.startswith(prefix))
    return tuple(dict.fromkeys(found))


def _operation_types(conditions: Iterable[Any]) -> set[str]:
    """Resource types of the operationName values, e.g. microsoft.network/publicipaddresses."""
    return {
        value.lower().rsplit("/", 1)[0]
        for field, value in _leaves(conditions)
        if field.lower() == "operationname" and "/" in value
    }


def _harmless(field: str, value: str, types: set[str]) -> bool:
    """A condition that selects the event (category, operationName) or restates the
    operation's own resource type; anything else narrows what the alert sees."""
    name = field.lower()
    if name in ("category", "operationname"):
        return True
    return name == "resourcetype" and bool(types) and types == {value.lower()}


def narrowing(conditions: Iterable[Any]) -> tuple[str, ...]:
    """The top-level conditions that filter the watched events (resource group, status,
    level, caller, resource id, ...). An anyOf narrows only if none of its branches is a
    harmless one (a branch on operationName lets every such event through)."""
    conditions = list(conditions or ())
    types = _operation_types(conditions)
    found: list[str] = []
    for cond in conditions:
        leaves = list(_leaves(get(cond, "any_of") or ())) if get(cond, "any_of") else []
        if leaves:
            if not any(_harmless(f, v, types) for f, v in leaves):
                found.append("(" + " || ".join(f"{f}={v}" for f, v in leaves) + ")")
            continue
        found.extend(f"{f}={v}" for f, v in _leaves([cond]) if not _harmless(f, v, types))
    return tuple(dict.fromkeys(found))


def has_receiver(group: Any) -> bool:
    return any(get(group, f) for f in RECEIVER_FIELDS)


def action_group_ok(group: Any) -> bool:
    """An action group that notifies someone: enabled with at least one receiver."""
    return bool(get(group, "enabled")) and has_receiver(group)


def activity_log_alert(alert: Any, sub: str, groups: Mapping[str, Any] | None) -> AlertRule:
    """An activity-log alert; ``groups`` (lowercased id → action group) ``None`` if unread."""
    conditions = list(get(alert, "condition", "all_of") or ())
    targets = tuple(
        lid(get(a, "action_group_id")) for a in get(alert, "actions", "action_groups") or ()
    )
    verified: bool | None = None
    if groups is not None:
        verified = any(t in groups and action_group_ok(groups[t]) for t in targets)
    return AlertRule(
        **base(alert, sub, global_scope=True),
        event_classes=event_classes(conditions),
        match_expr=_expr(conditions),
        source_id=f"/subscriptions/{sub}",
        enabled=get(alert, "enabled"),
        targets=targets,
        target_verified=verified,
        scopes=tuple(lid(s).rstrip("/") for s in get(alert, "scopes") or () if s),
        narrowed_by=narrowing(conditions),
    )


def defender_pricings(pricings: Iterable[Any], sub: str) -> SecurityService:
    """One threat-detection service per subscription; features = plan → tier."""
    features = {
        str(get(p, "name")): enum_str(get(p, "pricing_tier")) for p in pricings if get(p, "name")
    }
    return SecurityService(
        id=f"/subscriptions/{sub}/providers/microsoft.security/pricings",
        provider=PROVIDER,
        account=sub,
        region=GLOBAL,
        name="Microsoft Defender for Cloud",
        service_kind="threat_detection",
        enabled=any(t.lower() == "standard" for t in features.values()),
        all_resources=all(t.lower() == "standard" for t in features.values()) if features else None,
        features=features,
    )


MCSB_INITIATIVE = (
    "/providers/microsoft.authorization/policysetdefinitions/1f3afdf9-d0c9-4c3d-847f-89da613e70a8"
)
"""The Microsoft cloud security benchmark initiative (Defender for Cloud's default)."""


MANAGEMENT_GROUPS = "/providers/microsoft.management/managementgroups/"


def _covers_subscription(scope: str, sub: str) -> bool:
    """Assigned at the subscription itself or above it (a management group)."""
    scope = lid(scope).rstrip("/")
    return scope == f"/subscriptions/{sub}" or scope.startswith(MANAGEMENT_GROUPS)


NO_EXCLUSION, INSIDE, EXCLUDED, MAYBE_EXCLUDED = 0, 1, 3, 2
"""How an assignment's notScopes touch the subscription, by increasing weight."""
EXCLUSION_NOTES = {
    NO_EXCLUSION: "",
    INSIDE: " (notScopes exclude resource groups or resources of this subscription)",
    MAYBE_EXCLUDED: " (notScopes name a management group that may contain this subscription)",
    EXCLUDED: " (notScopes exclude this subscription)",
}


def _exclusion(assignment: Any, sub: str) -> int:
    """The weightiest way the assignment's notScopes touch the subscription. cldscan does
    not read the management-group hierarchy, so a management group other than the
    assignment's own scope may or may not be above the subscription."""
    own = f"/subscriptions/{sub}"
    scope = lid(get(assignment, "scope")).rstrip("/")
    worst = NO_EXCLUSION
    for raw in get(assignment, "not_scopes") or ():
        ns = lid(raw).rstrip("/")
        if not ns or ns in (own, scope):
            return EXCLUDED
        if ns.startswith(own + "/"):
            weight = INSIDE
        elif ns.startswith("/subscriptions/"):
            weight = NO_EXCLUSION
        else:
            weight = MAYBE_EXCLUDED
        worst = max(worst, weight)
    return worst


def policy_benchmark(assignments: Iterable[Any], sub: str) -> SecurityService:
    """One ``config_recorder`` service per subscription: the benchmark initiative assigned
    at (or above) the subscription. enabled = an assignment enforces it (enforcement mode
    ``Default``) and its notScopes do not exclude the subscription (None when a notScope is
    a management group that may contain it); features = assignment id → enforcement mode,
    with a note when notScopes touch the subscription."""
    sub = sub.lower()
    mcsb = [
        a
        for a in assignments
        if lid(get(a, "policy_definition_id")) == MCSB_INITIATIVE
        and _covers_subscription(str(get(a, "scope") or ""), sub)
    ]
    modes = {lid(get(a, "id")): enum_str(get(a, "enforcement_mode")) for a in mcsb}
    exclusion = {lid(get(a, "id")): _exclusion(a, sub) for a in mcsb}
    live = [k for k in modes if exclusion[k] != EXCLUDED]
    enforcing = [k for k in live if modes[k].lower() == "default"]
    applying = [k for k in enforcing if exclusion[k] in (NO_EXCLUSION, INSIDE)]
    enabled: bool | None
    if applying:
        enabled = True
    elif enforcing or any(not modes[k] for k in live):
        enabled = None
    else:
        enabled = False
    return SecurityService(
        id=f"/subscriptions/{sub}/providers/microsoft.authorization/policyassignments",
        provider=PROVIDER,
        account=sub,
        region=GLOBAL,
        name="Microsoft cloud security benchmark (Azure Policy)",
        service_kind="config_recorder",
        enabled=enabled,
        all_resources=any(exclusion[k] == NO_EXCLUSION for k in applying) if applying else None,
        features={k: m + EXCLUSION_NOTES[exclusion[k]] for k, m in modes.items()},
    )


def storage_account_facts(account: Any) -> dict[str, Any]:
    """The AuditTrail fields a diagnostic setting takes from its storage account."""
    source = enum_str(get(account, "encryption", "key_source")).lower()
    vault = get(account, "encryption", "key_vault_properties")
    key_id = None
    if source == "microsoft.keyvault" and get(vault, "key_name"):
        uri = str(get(vault, "key_vault_uri") or "").rstrip("/")
        key_id = f"{uri}/keys/{get(vault, 'key_name')}"
        if get(vault, "key_version"):
            key_id += f"/{get(vault, 'key_version')}"
    public = get(account, "allow_blob_public_access")
    return {
        "encrypted_cmk": {"microsoft.keyvault": True, "microsoft.storage": False}.get(source),
        "key_id": key_id,
        "store_public": None if public is None else bool(public),
    }
