"""CloudWatch Logs metric filters, their alarms and SNS subscribers, as alert rules."""

from __future__ import annotations

import re
from collections.abc import Sequence

from providers.aws.arns import Ctx
from providers.aws.normalise.common import Raw, unique
from scanner import events
from scanner.inventory import AlertRule

PROVIDER = "aws"

_EVENT_NAME = re.compile(r"\$\.eventName\s*=\s*\"?([A-Za-z0-9_]+)\"?")


def _split(expr: str, op: str) -> list[str]:
    """``expr`` cut at every ``op`` outside parentheses and quotes."""
    parts, depth, quoted, start, i = [], 0, False, 0, 0
    while i < len(expr):
        c = expr[i]
        if c == '"':
            quoted = not quoted
        elif not quoted and c == "(":
            depth += 1
        elif not quoted and c == ")":
            depth -= 1
        elif not quoted and depth == 0 and expr.startswith(op, i):
            parts.append(expr[start:i])
            start = i = i + len(op)
            continue
        i += 1
    return [*parts, expr[start:]]


def _unwrap(expr: str) -> str:
    """``expr`` without whitespace, braces and parentheses that enclose all of it."""
    expr = expr.strip()
    if expr.startswith("{") and expr.endswith("}"):
        expr = expr[1:-1].strip()
    while expr.startswith("(") and expr.endswith(")") and not _closes_early(expr[1:-1]):
        expr = expr[1:-1].strip()
    return expr


def _closes_early(inner: str) -> bool:
    """Whether a ``)`` in ``inner`` closes the outer ``(`` (as in ``(a) && (b)``)."""
    depth, quoted = 0, False
    for c in inner:
        if c == '"':
            quoted = not quoted
        elif not quoted and c == "(":
            depth += 1
        elif not quoted and c == ")":
            depth -= 1
            if depth < 0:
                return True
    return False


def _reachable(expr: str) -> tuple[frozenset[str], bool]:
    """Event names a pattern can match by an ``$.eventName`` equality, and whether some
    alternative matches without constraining the event name at all."""
    expr = _unwrap(expr)
    alternatives = _split(expr, "||")
    if len(alternatives) > 1:
        found = [_reachable(a) for a in alternatives]
        return frozenset().union(*(n for n, _ in found)), any(a for _, a in found)
    conjuncts = _split(expr, "&&")
    if len(conjuncts) > 1:
        found = [_reachable(c) for c in conjuncts]
        names = frozenset().union(*(n for n, _ in found))
        # A name survives an AND only if no conjunct demands a different event name.
        alive = frozenset(x for x in names if all(a or x in n for n, a in found))
        return alive, all(a for _, a in found)
    leaf = _EVENT_NAME.fullmatch(expr)
    return (frozenset([leaf.group(1)]), False) if leaf else (frozenset(), True)


def _has(pattern: str, field: str, value: str, op: str = "=") -> bool:
    """Whether ``$.field op value`` appears, whitespace and quotes being free."""
    rx = rf"\$\.{re.escape(field)}\s*{re.escape(op)}\s*\"?{re.escape(value)}\"?"
    return re.search(rx, pattern) is not None


_ALL_NAMES: dict[str, frozenset[str]] = {
    events.IAM_POLICY_CHANGE: frozenset(
        [
            "DeleteGroupPolicy",
            "DeleteRolePolicy",
            "DeleteUserPolicy",
            "PutGroupPolicy",
            "PutRolePolicy",
            "PutUserPolicy",
            "CreatePolicy",
            "DeletePolicy",
            "CreatePolicyVersion",
            "DeletePolicyVersion",
            "AttachRolePolicy",
            "DetachRolePolicy",
            "AttachUserPolicy",
            "DetachUserPolicy",
            "AttachGroupPolicy",
            "DetachGroupPolicy",
        ]
    ),
    events.AUDIT_CONFIG_CHANGE: frozenset(
        ["CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"]
    ),
    events.SECURITY_GROUP_CHANGE: frozenset(
        [
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupIngress",
            "RevokeSecurityGroupEgress",
            "CreateSecurityGroup",
            "DeleteSecurityGroup",
        ]
    ),
    events.NACL_CHANGE: frozenset(
        [
            "CreateNetworkAcl",
            "CreateNetworkAclEntry",
            "DeleteNetworkAcl",
            "DeleteNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "ReplaceNetworkAclAssociation",
        ]
    ),
    events.NETWORK_GATEWAY_CHANGE: frozenset(
        [
            "CreateCustomerGateway",
            "DeleteCustomerGateway",
            "AttachInternetGateway",
            "CreateInternetGateway",
            "DeleteInternetGateway",
            "DetachInternetGateway",
        ]
    ),
    events.ROUTE_TABLE_CHANGE: frozenset(
        [
            "CreateRoute",
            "CreateRouteTable",
            "ReplaceRoute",
            "ReplaceRouteTableAssociation",
            "DeleteRouteTable",
            "DeleteRoute",
            "DisassociateRouteTable",
        ]
    ),
    events.VPC_CHANGE: frozenset(
        [
            "CreateVpc",
            "DeleteVpc",
            "ModifyVpcAttribute",
            "AcceptVpcPeeringConnection",
            "CreateVpcPeeringConnection",
            "DeleteVpcPeeringConnection",
            "RejectVpcPeeringConnection",
            "AttachClassicLinkVpc",
            "DetachClassicLinkVpc",
            "DisableVpcClassicLink",
            "EnableVpcClassicLink",
        ]
    ),
    events.ORG_CHANGE: frozenset(
        [
            "AcceptHandshake",
            "AttachPolicy",
            "CreateAccount",
            "CreateOrganizationalUnit",
            "CreatePolicy",
            "DeclineHandshake",
            "DeleteOrganization",
            "DeleteOrganizationalUnit",
            "DeletePolicy",
            "DetachPolicy",
            "DisablePolicyType",
            "EnablePolicyType",
            "InviteAccountToOrganization",
            "LeaveOrganization",
            "MoveAccount",
            "RemoveAccountFromOrganization",
            "UpdatePolicy",
            "UpdateOrganizationalUnit",
        ]
    ),
}


def classify_pattern(pattern: str) -> tuple[str, ...]:
    """Event classes (scanner.events) that a metric filter pattern fully watches.

    Lenient about whitespace, quoting and clause order; strict about event names:
    a class counts only when every event name the CIS AWS pattern lists is reachable
    (an ``&&`` of two different ``$.eventName`` equalities matches neither).
    """
    names, _ = _reachable(pattern)
    found = [cls for cls, wanted in _ALL_NAMES.items() if wanted <= names]
    if events.ORG_CHANGE in found and "organizations.amazonaws.com" not in pattern:
        found.remove(events.ORG_CHANGE)
    if _has(pattern, "errorCode", "*UnauthorizedOperation") and _has(
        pattern, "errorCode", "AccessDenied*"
    ):
        found.append(events.UNAUTHORIZED_API_CALL)
    if "ConsoleLogin" in names and _has(pattern, "additionalEventData.MFAUsed", "Yes", "!="):
        found.append(events.CONSOLE_LOGIN_WITHOUT_MFA)
    if "ConsoleLogin" in names and _has(pattern, "errorMessage", "Failed authentication"):
        found.append(events.CONSOLE_AUTH_FAILURE)
    if _has(pattern, "userIdentity.type", "Root") and re.search(
        r"\$\.userIdentity\.invokedBy\s+NOT\s+EXISTS", pattern
    ):
        found.append(events.ROOT_USAGE)
    return tuple(sorted(found))


def confirmed_topics(subscriptions: Sequence[Raw]) -> set[str]:
    """SNS topics with at least one confirmed subscription."""
    return {
        str(s["TopicArn"])
        for s in subscriptions
        if s.get("TopicArn")
        and s.get("SubscriptionArn") not in (None, "PendingConfirmation", "Deleted")
    }


def alert_rules(
    filters: Sequence[Raw],
    alarms: Sequence[Raw] | None,
    confirmed: set[str] | None,
    ctx: Ctx,
) -> list[AlertRule]:
    """One rule per metric filter. ``alarms`` / ``confirmed`` are ``None`` when CloudWatch /
    SNS could not be listed: what depends on them stays unknown."""
    by_metric: dict[tuple[str, str], list[Raw]] = {}
    for alarm in alarms or ():
        by_metric.setdefault(
            (str(alarm.get("Namespace")), str(alarm.get("MetricName"))), []
        ).append(alarm)
    rules = []
    for f in filters:
        metrics = [
            (str(t.get("metricNamespace")), str(t.get("metricName")))
            for t in f.get("metricTransformations") or ()
        ]
        live = [a for m in metrics for a in by_metric.get(m, ()) if a.get("ActionsEnabled", True)]
        targets = unique(str(action) for a in live for action in a.get("AlarmActions") or ())
        log_group = ctx.log_group(str(f["logGroupName"]))
        pattern = str(f.get("filterPattern", ""))
        rules.append(
            AlertRule(
                id=f"{log_group}:metric-filter/{f['filterName']}",
                provider=PROVIDER,
                account=ctx.account,
                region=ctx.region,
                name=str(f["filterName"]),
                event_classes=classify_pattern(pattern),
                match_expr=pattern,
                source_id=log_group,
                enabled=None if alarms is None else bool(live),
                targets=targets,
                target_verified=(
                    None
                    if confirmed is None or alarms is None
                    else any(t in confirmed for t in targets)
                ),
            )
        )
    return rules
