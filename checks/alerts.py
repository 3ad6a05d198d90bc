"""Alerts on privileged, authentication and network-change events.

An alert only counts when the whole chain works: a multi-region audit trail that is
logging and records management events streams to the log group the rule watches, the
rule is enabled, and it notifies a target with a confirmed subscriber.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from checks._common import scanned_scopes, unseen
from scanner import events
from scanner.inventory import GLOBAL, AlertRule, AuditTrail, Inventory, ScanScope
from scanner.registry import CheckConfig, check
from scanner.results import Result, Severity

PROVIDERS = ("aws",)

PRIVILEGED_EVENTS = (
    events.UNAUTHORIZED_API_CALL,
    events.CONSOLE_LOGIN_WITHOUT_MFA,
    events.ROOT_USAGE,
    events.IAM_POLICY_CHANGE,
    events.AUDIT_CONFIG_CHANGE,
    events.CONSOLE_AUTH_FAILURE,
    events.ORG_CHANGE,
)
NETWORK_EVENTS = (
    events.SECURITY_GROUP_CHANGE,
    events.NACL_CHANGE,
    events.NETWORK_GATEWAY_CHANGE,
    events.ROUTE_TABLE_CHANGE,
    events.VPC_CHANGE,
)
AZURE_PRIVILEGED_OPERATIONS = (
    "Microsoft.Authorization/policyAssignments/write",
    "Microsoft.Authorization/policyAssignments/delete",
    "Microsoft.Security/securitySolutions/write",
    "Microsoft.Security/securitySolutions/delete",
)
AZURE_NETWORK_OPERATIONS = (
    "Microsoft.Network/networkSecurityGroups/write",
    "Microsoft.Network/networkSecurityGroups/delete",
    "Microsoft.Network/publicIPAddresses/write",
    "Microsoft.Network/publicIPAddresses/delete",
)
"""Azure: CIS asks for one activity-log alert per operation (create/update and delete), so
coverage is judged by the operation names in the alert's condition, not by event class."""
GCP_PRIVILEGED_EVENTS = (
    events.OWNERSHIP_CHANGE,
    events.AUDIT_CONFIG_CHANGE,
    events.CUSTOM_ROLE_CHANGE,
)
GCP_NETWORK_EVENTS = (
    events.FIREWALL_RULE_CHANGE,
    events.ROUTE_TABLE_CHANGE,
    events.VPC_CHANGE,
)
"""GCP: the log-metric alerts of CIS GCP 2.4-2.6 and 2.7-2.9."""
REQUIRED: dict[str, dict[str, tuple[str, ...]]] = {
    "aws": {"privileged": PRIVILEGED_EVENTS, "network": NETWORK_EVENTS},
    "gcp": {"privileged": GCP_PRIVILEGED_EVENTS, "network": GCP_NETWORK_EVENTS},
    "azure": {"privileged": AZURE_PRIVILEGED_OPERATIONS, "network": AZURE_NETWORK_OPERATIONS},
}


@dataclass(frozen=True)
class Coverage:
    covered: set[str]
    uncertain: set[str]
    """Not covered for sure, but only because a trail, rule or subscriber state was not reported."""
    unconfirmed: set[str]
    """Not covered; a working rule exists but none of its targets has a confirmed subscriber."""
    rules: list[AlertRule]
    """The rules that count."""
    feeding: list[str]
    """Trails that feed alerts: multi-region, logging, management events read and write."""
    trails_unreported: list[str]
    """Trails that might feed alerts, but part of their state was not reported."""
    trails_excluded: list[str]
    """Trails with a log group that do not feed alerts (one region, stopped, no mgmt events)."""
    narrowed: list[str] = field(default_factory=list)
    """Azure: rules that do not count because they watch less than the whole subscription
    (scoped to a resource group or resource, or filtered by status, caller, ...)."""


def feeds_alerts(trail: AuditTrail) -> bool | None:
    """Whether the trail delivers every region's management events: None if not reported."""
    flags = (trail.all_regions, trail.logging, trail.mgmt_read, trail.mgmt_write)
    if False in flags:
        return False
    return None if None in flags else True


def coverage(inv: Inventory, scope: ScanScope) -> Coverage:
    """Event classes that reach a person in this account, through a working chain."""
    if scope.provider == "azure":
        return _azure_coverage(inv, scope)
    trails = [
        t for t in inv.of(AuditTrail) if _mine(t.provider, t.account, scope) and t.log_group_id
    ]
    state = {t.id: feeds_alerts(t) for t in trails}
    sure = {t.log_group_id for t in trails if state[t.id]}
    maybe = {t.log_group_id for t in trails if state[t.id] is None} - sure
    if scope.provider == "gcp":
        # Admin Activity audit logs cannot be switched off: log metrics always see them.
        sure.add(f"projects/{scope.account}")
    covered: set[str] = set()
    uncertain: set[str] = set()
    unconfirmed: set[str] = set()
    used: list[AlertRule] = []
    for rule in inv.of(AlertRule):
        if (
            not _mine(rule.provider, rule.account, scope)
            or not rule.targets
            or rule.enabled is False
            or rule.source_id not in sure | maybe
        ):
            continue
        if rule.target_verified is False:
            unconfirmed.update(rule.event_classes)
        elif rule.enabled and rule.target_verified and rule.source_id in sure:
            covered.update(rule.event_classes)
            used.append(rule)
        else:
            uncertain.update(rule.event_classes)
    return Coverage(
        covered,
        uncertain - covered,
        unconfirmed - covered - uncertain,
        used,
        sorted(t.id for t in trails if state[t.id]),
        sorted(t.id for t in trails if state[t.id] is None),
        sorted(t.id for t in trails if state[t.id] is False),
    )


def _azure_coverage(inv: Inventory, scope: ScanScope) -> Coverage:
    """Azure: the activity log is always on; an enabled alert with a live action group counts
    if it watches the whole subscription: one of its scopes is the subscription itself and
    no condition narrows the events (see AlertRule.narrowed_by)."""
    covered: set[str] = set()
    uncertain: set[str] = set()
    unconfirmed: set[str] = set()
    used: list[AlertRule] = []
    narrowed: list[str] = []
    whole = scope.native_id.lower().rstrip("/")
    for rule in inv.of(AlertRule):
        if not _mine(rule.provider, rule.account, scope) or not rule.targets:
            continue
        if rule.enabled is False:
            continue
        ops = azure_operations(rule)
        if rule.scopes and (whole not in rule.scopes or rule.narrowed_by):
            narrowed.append(rule.id)
            continue
        if not rule.scopes:
            uncertain.update(ops)
        elif rule.target_verified is False:
            unconfirmed.update(ops)
        elif rule.enabled and rule.target_verified:
            covered.update(ops)
            used.append(rule)
        else:
            uncertain.update(ops)
    return Coverage(
        covered, uncertain - covered, unconfirmed - covered - uncertain, used, [], [], [], narrowed
    )


def azure_operations(rule: AlertRule) -> set[str]:
    """The required Azure operations an alert's condition names (case-insensitive)."""
    expr = rule.match_expr.lower()
    wanted = (*AZURE_PRIVILEGED_OPERATIONS, *AZURE_NETWORK_OPERATIONS)
    return {op for op in wanted if re.search(re.escape(op.lower()) + r"(?![\w/])", expr)}


def _watches(rule: AlertRule, provider: str) -> set[str]:
    return azure_operations(rule) if provider == "azure" else set(rule.event_classes)


def _mine(provider: str, account: str, scope: ScanScope) -> bool:
    return provider == scope.provider and account == scope.account


def judge(inv: Inventory, required_set: str, topic: str) -> Iterator[Result]:
    for scope in scanned_scopes(inv, REQUIRED):
        required: Iterable[str] = REQUIRED.get(scope.provider, {}).get(required_set, ())
        cov = coverage(inv, scope)
        wanted = sorted(required)
        missing = [c for c in wanted if c not in cov.covered]
        unconfirmed = [c for c in missing if c in cov.unconfirmed]
        relevant = [r for r in cov.rules if _watches(r, scope.provider) & set(wanted)]
        evidence: dict[str, Any] = {
            "covered": [c for c in wanted if c in cov.covered],
            "missing": missing,
            "uncertain": [c for c in missing if c in cov.uncertain],
            "no_confirmed_subscriber": unconfirmed,
            "rules": [r.id for r in relevant],
            "targets_verified": False if unconfirmed else (True if relevant else None),
            "trails_feeding_alerts": cov.feeding,
            "trails_unreported": cov.trails_unreported,
            "trails_excluded": cov.trails_excluded,
        }
        if cov.narrowed:
            evidence["rules_not_subscription_wide"] = cov.narrowed
        ref = scope.account_ref()
        holder = "subscription" if scope.provider == "azure" else "account"
        if not missing:
            yield Result.passed(
                ref,
                f"{holder} {scope.account} alerts a confirmed subscriber on every {topic} event",
                **evidence,
            )
        elif set(missing) <= cov.uncertain:
            yield Result.error(
                ref,
                f"{holder} {scope.account}: the alerts for {', '.join(missing)} depend on a "
                "trail, alarm or subscription whose state was not reported",
                **evidence,
            )
        elif not unseen(
            inv, scope.provider, scope.account, GLOBAL, (AuditTrail.kind, AlertRule.kind)
        ):
            yield Result.failed(
                ref,
                f"{holder} {scope.account} has no working alert for {topic} events: "
                + ", ".join(missing)
                + (
                    f" (the alarms for {', '.join(unconfirmed)} have no confirmed subscriber)"
                    if unconfirmed
                    else ""
                ),
                **evidence,
            )


_CHAIN = (
    "Stream a multi-region CloudTrail trail that records read and write management events to "
    "CloudWatch Logs, then for each missing event class `aws logs put-metric-filter` with the "
    "CIS pattern, `aws cloudwatch put-metric-alarm` on its metric with `--alarm-actions "
    "<sns-topic-arn>`, and subscribe a monitored address to the topic and confirm the "
    "subscription."
)

_GCP_CHAIN = (
    "For each missing event class create a log-based metric with the CIS filter (`gcloud "
    "logging metrics create <name> --log-filter=<filter>`, e.g. resource.type=gce_firewall_rule "
    "with the firewalls insert/patch/delete methods), an enabled alert policy on it (`gcloud "
    "alpha monitoring policies create --policy-from-file=<file>`) and an enabled, verified "
    "notification channel."
)
_AZURE_CHAIN = (
    "For each missing operation create an activity-log alert at subscription scope that "
    "notifies an action group with at least one receiver: `az monitor activity-log alert "
    "create -g <rg> -n <name> --scope /subscriptions/<sub> --condition "
    "category=Administrative and operationName=<operation> --action-group <action-group-id>` "
    "(one alert per operation, create/update and delete separately)."
)


@check(
    id="any.alert.privileged_or_auth_event",
    title="Privileged and authentication events raise alerts",
    severity=Severity.MEDIUM,
    controls=("CLD.12.1.5", "CLD.12.4.5"),
    providers=("aws", "azure", "gcp"),
    needs=(AuditTrail, AlertRule),
    rationale=(
        "Administrative operations must be monitored: root use, policy changes, sign-ins "
        "without MFA and changes to logging should reach a person within minutes, not be "
        "found in a log months later."
    ),
    remediation={"aws": _CHAIN, "azure": _AZURE_CHAIN, "gcp": _GCP_CHAIN},
    references=(
        "CIS AWS 3.0 4.1",
        "CIS AWS 3.0 4.2",
        "CIS AWS 3.0 4.3",
        "CIS AWS 3.0 4.4",
        "CIS AWS 3.0 4.5",
        "CIS AWS 3.0 4.6",
        "CIS AWS 3.0 4.15",
        "prowler:cloudwatch_log_metric_filter_unauthorized_api_calls",
        "prowler:cloudwatch_log_metric_filter_sign_in_without_mfa",
        "prowler:cloudwatch_log_metric_filter_root_usage",
        "prowler:cloudwatch_log_metric_filter_policy_changes",
        "prowler:cloudwatch_log_metric_filter_and_alarm_for_cloudtrail_configuration_changes_enabled",
        "prowler:cloudwatch_log_metric_filter_authentication_failures",
        "prowler:cloudwatch_log_metric_filter_aws_organizations_changes",
        "CIS Azure 2.1 5.2.1",
        "CIS Azure 2.1 5.2.2",
        "CIS Azure 2.1 5.2.5",
        "CIS Azure 2.1 5.2.6",
        "CIS Azure 3.0 6.2.1",
        "CIS Azure 3.0 6.2.2",
        "CIS Azure 3.0 6.2.5",
        "CIS Azure 3.0 6.2.6",
        "prowler:monitor_alert_create_policy_assignment",
        "prowler:monitor_alert_delete_policy_assignment",
        "prowler:monitor_alert_create_update_security_solution",
        "prowler:monitor_alert_delete_security_solution",
        "CIS GCP 2.0 2.4",
        "CIS GCP 2.0 2.5",
        "CIS GCP 2.0 2.6",
        "CIS GCP 3.0 2.4",
        "CIS GCP 3.0 2.5",
        "CIS GCP 3.0 2.6",
        "prowler:logging_log_metric_filter_and_alert_for_project_ownership_changes_enabled",
        "prowler:logging_log_metric_filter_and_alert_for_audit_configuration_changes_enabled",
        "prowler:logging_log_metric_filter_and_alert_for_custom_role_changes_enabled",
    ),
)
def privileged_or_auth_event(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    return judge(inv, "privileged", "privileged or authentication")


@check(
    id="any.alert.network_change",
    title="Network configuration changes raise alerts",
    severity=Severity.MEDIUM,
    controls=("CLD.13.1.4", "CLD.12.4.5"),
    providers=("aws", "azure", "gcp"),
    needs=(AuditTrail, AlertRule),
    rationale=(
        "Changes to security groups, network ACLs, gateways, routes and VPCs alter the "
        "network's segmentation; change control on the virtual network needs them to be "
        "noticed as they happen."
    ),
    remediation={"aws": _CHAIN, "azure": _AZURE_CHAIN, "gcp": _GCP_CHAIN},
    references=(
        "CIS AWS 3.0 4.10",
        "CIS AWS 3.0 4.11",
        "CIS AWS 3.0 4.12",
        "CIS AWS 3.0 4.13",
        "CIS AWS 3.0 4.14",
        "prowler:cloudwatch_log_metric_filter_security_group_changes",
        "prowler:cloudwatch_changes_to_network_acls_alarm_configured",
        "prowler:cloudwatch_changes_to_network_gateways_alarm_configured",
        "prowler:cloudwatch_changes_to_network_route_tables_alarm_configured",
        "prowler:cloudwatch_changes_to_vpcs_alarm_configured",
        "CIS Azure 2.1 5.2.3",
        "CIS Azure 2.1 5.2.4",
        "CIS Azure 2.1 5.2.9",
        "CIS Azure 2.1 5.2.10",
        "CIS Azure 3.0 6.2.3",
        "CIS Azure 3.0 6.2.4",
        "CIS Azure 3.0 6.2.9",
        "CIS Azure 3.0 6.2.10",
        "prowler:monitor_alert_create_update_nsg",
        "prowler:monitor_alert_delete_nsg",
        "prowler:monitor_alert_create_update_public_ip_address_rule",
        "prowler:monitor_alert_delete_public_ip_address_rule",
        "CIS GCP 2.0 2.7",
        "CIS GCP 2.0 2.8",
        "CIS GCP 2.0 2.9",
        "CIS GCP 3.0 2.7",
        "CIS GCP 3.0 2.8",
        "CIS GCP 3.0 2.9",
        "prowler:logging_log_metric_filter_and_alert_for_vpc_firewall_rule_changes_enabled",
        "prowler:logging_log_metric_filter_and_alert_for_vpc_network_route_changes_enabled",
        "prowler:logging_log_metric_filter_and_alert_for_vpc_network_changes_enabled",
    ),
)
def network_change(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    return judge(inv, "network", "network-change")
