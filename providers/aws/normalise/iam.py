"""IAM: credential report rows, authorization details, password policy."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import unquote

from providers.aws.arns import Ctx
from providers.aws.normalise.common import Raw, unique, when
from scanner.inventory import GLOBAL, Credential, Entity, PasswordPolicy, Principal, RoleBinding

PROVIDER = "aws"
ROOT_USER = "<root_account>"


def _flag(value: str | None) -> bool | None:
    return {"true": True, "false": False}.get((value or "").lower())


def parse_report(content: bytes | str) -> list[dict[str, str]]:
    text = content.decode() if isinstance(content, bytes) else content
    return list(csv.DictReader(io.StringIO(text)))


def report_rows(rows: Sequence[Mapping[str, str]], ctx: Ctx) -> Iterator[Entity]:
    """Principals (root and users) and their credentials from credential report rows."""
    for row in rows:
        is_root = row.get("user") == ROOT_USER
        arn = ctx.root if is_root else row["arn"]
        yield Principal(
            id=arn,
            provider=PROVIDER,
            account=ctx.account,
            region=GLOBAL,
            name="root" if is_root else row.get("user", ""),
            principal_kind="root" if is_root else "human",
            console_access=_flag(row.get("password_enabled")),
            mfa=_flag(row.get("mfa_active")),
            created_at=when(row.get("user_creation_time")),
            last_sign_in=when(row.get("password_last_used")),
        )
        for n in (1, 2):
            active = _flag(row.get(f"access_key_{n}_active"))
            rotated = when(row.get(f"access_key_{n}_last_rotated"))
            if not active and rotated is None:
                continue
            yield Credential(
                id=f"{arn}#access_key_{n}",
                provider=PROVIDER,
                account=ctx.account,
                region=GLOBAL,
                name=f"{row.get('user', '')} access key {n}",
                principal_id=arn,
                credential_kind="access_key",
                active=active,
                created_at=rotated,
                last_used=when(row.get(f"access_key_{n}_last_used_date")),
            )
        password = _flag(row.get("password_enabled"))
        if password is not None:
            yield Credential(
                id=f"{arn}#password",
                provider=PROVIDER,
                account=ctx.account,
                region=GLOBAL,
                name=f"{row.get('user', '')} password",
                principal_id=arn,
                credential_kind="password",
                active=password,
                created_at=when(row.get("password_last_changed")),
                last_used=when(row.get("password_last_used")),
            )


def root_from_summary(summary: Raw, ctx: Ctx, virtual_root_mfa: bool | None) -> Principal:
    """The root principal when the credential report has no root row."""
    mfa = summary.get("AccountMFAEnabled")
    mfa_flag = bool(mfa) if mfa is not None else None
    return Principal(
        id=ctx.root,
        provider=PROVIDER,
        account=ctx.account,
        region=GLOBAL,
        name="root",
        principal_kind="root",
        mfa=mfa_flag,
        mfa_hardware=hardware_mfa(mfa_flag, virtual_root_mfa),
    )


def hardware_mfa(mfa: bool | None, virtual_assigned: bool | None) -> bool | None:
    if mfa is False:
        return False
    if mfa is None or virtual_assigned is None:
        return None
    return not virtual_assigned


def root_has_virtual_mfa(devices: Sequence[Raw], ctx: Ctx) -> bool:
    return any(
        (d.get("User") or {}).get("Arn") == ctx.root
        or str(d.get("SerialNumber", "")).endswith(":mfa/root-account-mfa-device")
        for d in devices
    )


def document(value: Any) -> Mapping[str, Any]:
    """A policy document, whether botocore decoded it or left it URL-encoded JSON."""
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str) and value:
        parsed = json.loads(unquote(value))
        return parsed if isinstance(parsed, Mapping) else {}
    return {}


def _listify(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


_ADMIN_ACTIONS = frozenset({"*", "*:*", "iam:*"})


def grants_admin(doc: Mapping[str, Any]) -> bool:
    """Whether a policy document is admin-equivalent.

    It is when any statement has Effect Allow on Resource ``"*"`` (alone or in a list)
    and either an Action of ``"*"``, ``"*:*"`` or ``"iam:*"`` (alone or in a list;
    ``iam:*`` lets the holder grant itself anything) or a NotAction (allow everything
    but a few actions: near-admin). A Condition does not change the answer: admin that
    requires MFA or a source IP is still admin. Deny statements are not subtracted.
    """
    for stmt in _listify(doc.get("Statement") or []):
        if not isinstance(stmt, Mapping) or stmt.get("Effect") != "Allow":
            continue
        if "*" not in _listify(stmt.get("Resource")):
            continue
        if "NotAction" in stmt:
            return True
        actions = {str(a).lower() for a in _listify(stmt.get("Action"))}
        if actions & _ADMIN_ACTIONS:
            return True
    return False


def _default_document(policy: Raw) -> Mapping[str, Any] | None:
    for version in policy.get("PolicyVersionList") or ():
        if version.get("IsDefaultVersion"):
            return document(version.get("Document"))
    return None


def authorization_details(pages: Sequence[Raw], ctx: Ctx) -> Iterator[Entity]:
    """Users, groups, roles and their policy bindings from GetAccountAuthorizationDetails pages."""
    users = [u for p in pages for u in p.get("UserDetailList") or ()]
    groups = [g for p in pages for g in p.get("GroupDetailList") or ()]
    roles = [r for p in pages for r in p.get("RoleDetailList") or ()]
    policies = [q for p in pages for q in p.get("Policies") or ()]
    admin = {}
    for policy in policies:
        doc = _default_document(policy)
        admin[str(policy["Arn"])] = grants_admin(doc) if doc is not None else None
    group_arns = {str(g["GroupName"]): str(g["Arn"]) for g in groups}

    def principal(raw: Raw, kind: str, name_key: str, **extra: Any) -> Principal:
        return Principal(
            id=str(raw["Arn"]),
            provider=PROVIDER,
            account=ctx.account,
            region=GLOBAL,
            name=str(raw[name_key]),
            tags={str(t["Key"]): str(t["Value"]) for t in raw.get("Tags") or ()},
            principal_kind=kind,
            created_at=when(raw.get("CreateDate")),
            **extra,
        )

    def bindings(raw: Raw, ptype: str, inline_key: str) -> Iterator[RoleBinding]:
        arn = str(raw["Arn"])
        for attached in raw.get("AttachedManagedPolicies") or ():
            policy_arn = str(attached["PolicyArn"])
            yield RoleBinding(
                id=f"{arn}#{policy_arn}",
                provider=PROVIDER,
                account=ctx.account,
                region=GLOBAL,
                name=str(attached.get("PolicyName", policy_arn)),
                principal_id=arn,
                principal_type=ptype,
                role=policy_arn,
                role_name=str(attached.get("PolicyName", "")),
                scope=ctx.root,
                scope_level="account",
                admin_equivalent=admin.get(policy_arn),
            )
        for inline in raw.get(inline_key) or ():
            name = str(inline["PolicyName"])
            yield RoleBinding(
                id=f"{arn}#inline/{name}",
                provider=PROVIDER,
                account=ctx.account,
                region=GLOBAL,
                name=name,
                principal_id=arn,
                principal_type=ptype,
                role=f"{arn}#inline/{name}",
                role_name=name,
                scope=ctx.root,
                scope_level="account",
                admin_equivalent=grants_admin(document(inline.get("PolicyDocument"))),
                inline=True,
            )

    for user in users:
        member_of = unique(group_arns.get(g) for g in user.get("GroupList") or ())
        yield principal(user, "human", "UserName", member_of=member_of)
        yield from bindings(user, "user", "UserPolicyList")
    for group in groups:
        yield principal(group, "group", "GroupName")
        yield from bindings(group, "group", "GroupPolicyList")
    for role in roles:
        profiles = unique(str(p.get("Arn")) for p in role.get("InstanceProfileList") or ())
        last_used = when((role.get("RoleLastUsed") or {}).get("LastUsedDate"))
        yield principal(role, "role", "RoleName", aliases=profiles, last_sign_in=last_used)
        yield from bindings(role, "role", "RolePolicyList")


def password_policy(raw: Raw | None, ctx: Ctx) -> PasswordPolicy:
    """The account password policy; ``raw`` is ``None`` when the account has none."""
    policy = PasswordPolicy(
        id=ctx.iam("account-password-policy"),
        provider=PROVIDER,
        account=ctx.account,
        region=GLOBAL,
        name="account password policy",
        present=raw is not None,
    )
    if raw is None:
        return policy
    return replace(
        policy,
        minimum_length=raw.get("MinimumPasswordLength"),
        require_symbols=raw.get("RequireSymbols"),
        require_numbers=raw.get("RequireNumbers"),
        require_uppercase=raw.get("RequireUppercaseCharacters"),
        require_lowercase=raw.get("RequireLowercaseCharacters"),
        max_age_days=raw.get("MaxPasswordAge"),
        reuse_prevention=raw.get("PasswordReusePrevention"),
    )
