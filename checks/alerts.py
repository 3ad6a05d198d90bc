"""Alerts on privileged, authentication and network-change events.

An alert only counts when the whole chain works: a multi-region audit trail that is
logging streams to the log group the rule watches, the rule is enabled, and it
notifies at least one target.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
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
REQUIRED = {"aws": {"privileged": PRIVILEGED_EVENTS, "network": NETWORK_EVENTS}}


@dataclass(frozen=True)
class Coverage:
    covered: set[str]
    uncertain: set[str]
    """Classes covered only by rules or trails whose state was not reported."""
    rules: list[AlertRule]


def coverage(inv: Inventory, scope: ScanScope) -> Coverage:
    """Event classes that reach a person in this account, through a working chain."""
    trails = [
        t for t in inv.of(AuditTrail) if _mine(t.provider, t.account, scope) and t.log_group_id
    ]
    sure = {t.log_group_id for t in trails if t.all_regions and t.logging}
    maybe = {
        t.log_group_id for t in trails if t.all_regions is not False and t.logging is not False
    } - sure
    covered: set[str] = set()
    uncertain: set[str] = set()
    used: list[AlertRule] = []
    for rule in inv.of(AlertRule):
        if not _mine(rule.provider, rule.account, scope) or not rule.targets:
            continue
        if rule.enabled and rule.source_id in sure:
            covered.update(rule.event_classes)
            used.append(rule)
        elif rule.enabled is not False and rule.source_id in sure | maybe:
            uncertain.update(rule.event_classes)
    return Coverage(covered, uncertain - covered, used)


def _mine(provider: str, account: str, scope: ScanScope) -> bool:
    return provider == scope.provider and account == scope.account


def judge(inv: Inventory, required_set: str, topic: str) -> Iterator[Result]:
    for scope in scanned_scopes(inv, PROVIDERS):
        required: Iterable[str] = REQUIRED.get(scope.provider, {}).get(required_set, ())
        cov = coverage(inv, scope)
        wanted = sorted(required)
        missing = [c for c in wanted if c not in cov.covered]
        relevant = [r for r in cov.rules if set(r.event_classes) & set(wanted)]
        evidence: dict[str, Any] = {
            "covered": [c for c in wanted if c in cov.covered],
            "missing": missing,
            "rules": [r.id for r in relevant],
            "targets_verified": _verified(relevant),
        }
        ref = scope.account_ref()
        if not missing:
            yield Result.passed(
                ref, f"account {scope.account} alerts on every {topic} event", **evidence
            )
        elif set(missing) <= cov.uncertain:
            yield Result.error(
                ref,
                f"account {scope.account}: the alerts for {', '.join(missing)} depend on a trail "
                "or alarm whose state was not reported",
                **evidence,
            )
        elif not unseen(
            inv, scope.provider, scope.account, GLOBAL, (AuditTrail.kind, AlertRule.kind)
        ):
            yield Result.failed(
                ref,
                f"account {scope.account} has no working alert for {topic} events: "
                + ", ".join(missing),
                **evidence,
            )


def _verified(rules: list[AlertRule]) -> bool | None:
    """True when every counted rule has a confirmed recipient; None when unknown."""
    flags = [r.target_verified for r in rules]
    if not flags:
        return None
    if False in flags:
        return False
    return None if None in flags else True


_CHAIN = (
    "Stream a multi-region CloudTrail trail to CloudWatch Logs, then for each missing event "
    "class `aws logs put-metric-filter` with the CIS pattern, `aws cloudwatch put-metric-alarm` "
    "on its metric with `--alarm-actions <sns-topic-arn>`, and subscribe a monitored address "
    "to the topic."
)


@check(
    id="any.alert.privileged_or_auth_event",
    title="Privileged and authentication events raise alerts",
    severity=Severity.MEDIUM,
    controls=("CLD.12.1.5", "CLD.12.4.5"),
    providers=PROVIDERS,
    needs=(AuditTrail, AlertRule),
    rationale=(
        "Administrative operations must be monitored: root use, policy changes, sign-ins "
        "without MFA and changes to logging should reach a person within minutes, not be "
        "found in a log months later."
    ),
    remediation=_CHAIN,
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
    ),
)
def privileged_or_auth_event(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    return judge(inv, "privileged", "privileged or authentication")


@check(
    id="any.alert.network_change",
    title="Network configuration changes raise alerts",
    severity=Severity.MEDIUM,
    controls=("CLD.13.1.4", "CLD.12.4.5"),
    providers=PROVIDERS,
    needs=(AuditTrail, AlertRule),
    rationale=(
        "Changes to security groups, network ACLs, gateways, routes and VPCs alter the "
        "network's segmentation; change control on the virtual network needs them to be "
        "noticed as they happen."
    ),
    remediation=_CHAIN,
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
    ),
)
def network_change(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    return judge(inv, "network", "network-change")
