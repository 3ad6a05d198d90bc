"""Collect one AWS account: resolve the scope, run every unit, join what units share."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields, replace
from datetime import UTC, datetime

import structlog

from providers.aws.arns import Ctx
from providers.aws.errors import classify
from providers.aws.options import AwsOptions
from providers.aws.session import AwsSession, Caller, RegionPlan, open_session, plan_regions
from providers.aws.units import ACCOUNT_WIDE, REGIONAL, REGIONAL_KINDS, Claims, Env, UnitSpec
from providers.base import Progress
from providers.runner import Unit, run_units
from scanner import __version__
from scanner.inventory import (
    GLOBAL,
    Entity,
    FirewallRuleSet,
    Gap,
    GapReason,
    Inventory,
    NetworkInterface,
    Principal,
    ScanScope,
    Subnet,
)

log = structlog.get_logger(__name__)
PROVIDER = "aws"


def build_units(
    aws: AwsSession, caller: Caller, regions: Sequence[str], home: str, page_size: int | None
) -> list[Unit]:
    """Every (region, unit spec) pair, global specs once, all sharing one set of claims."""
    claims = Claims()

    def unit(spec: UnitSpec, region: str, api_region: str) -> Unit:
        env = Env(aws, Ctx(caller.account, region, caller.partition), api_region, page_size, claims)
        return Unit(PROVIDER, caller.account, region, spec.label, spec.kinds, lambda: spec.run(env))

    units = [unit(spec, GLOBAL, home) for spec in ACCOUNT_WIDE]
    units += [unit(spec, region, region) for region in regions for spec in REGIONAL]
    return units


def _not_enabled_gaps(account: str, plan: RegionPlan) -> list[Gap]:
    return [
        Gap(
            PROVIDER,
            account,
            region,
            "ec2:DescribeRegions",
            REGIONAL_KINDS,
            GapReason.NOT_ENABLED,
            f"region {region} is not enabled for account {account}",
        )
        for region in plan.not_enabled
    ]


def _merge_principal(a: Principal, b: Principal) -> Principal:
    """One principal from two partial views (credential report and authorization details)."""
    changes = {}
    for f in fields(Principal):
        mine, theirs = getattr(a, f.name), getattr(b, f.name)
        if mine in (None, "", ()) and theirs not in (None, "", ()):
            changes[f.name] = theirs
    return replace(a, **changes)


def join(entities: Iterable[Entity]) -> list[Entity]:
    """Cross-unit joins: one principal per ARN, subnets' NACLs, security groups' interfaces."""
    entities = list(entities)
    principals: dict[str, Principal] = {}
    subnet_acls: dict[str, list[str]] = {}
    group_users: dict[str, list[str]] = {}
    for e in entities:
        if isinstance(e, Principal):
            principals[e.id] = _merge_principal(principals[e.id], e) if e.id in principals else e
        elif isinstance(e, FirewallRuleSet) and e.set_kind == "nacl":
            for subnet in e.attached_to:
                subnet_acls.setdefault(subnet, []).append(e.id)
        elif isinstance(e, NetworkInterface):
            for group in e.firewall_set_ids:
                group_users.setdefault(group, []).append(e.id)
                if e.attached_to:
                    group_users[group].append(e.attached_to)
    out: list[Entity] = []
    seen: set[str] = set()
    for e in entities:
        if isinstance(e, Principal):
            if e.id not in seen:
                seen.add(e.id)
                out.append(principals[e.id])
        elif isinstance(e, Subnet) and e.id in subnet_acls:
            out.append(replace(e, filter_policy_ids=tuple(subnet_acls[e.id])))
        elif isinstance(e, FirewallRuleSet) and e.set_kind == "sg" and e.id in group_users:
            out.append(replace(e, attached_to=tuple(dict.fromkeys(group_users[e.id]))))
        else:
            out.append(e)
    return out


def collect_account(options: AwsOptions, progress: Progress | None = None) -> Inventory:
    """Collect the account the credentials (or the assumed role) reach."""
    started = datetime.now(UTC)
    aws, caller = open_session(options)
    account = caller.account
    home = aws.session.region_name or "us-east-1"
    plan = plan_regions(aws, options, home)
    log.info(
        "aws_scope", account=account, regions=len(plan.scan), not_enabled=list(plan.not_enabled)
    )
    units = build_units(aws, caller, plan.scan, home, options.page_size)
    outcome = run_units(units, classify, options.max_workers, progress)
    scope = ScanScope(
        provider=PROVIDER,
        account=account,
        native_id=Ctx(account, GLOBAL, caller.partition).root,
        name=account,
        regions=plan.scan,
    )
    return Inventory(
        entities=tuple(join(outcome.entities)),
        gaps=tuple(_not_enabled_gaps(account, plan) + outcome.gaps),
        scopes=(scope,),
        collected_at=started,
        tool_version=__version__,
    )
