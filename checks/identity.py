"""Administrator identities: MFA, the root user, standing admin grants, credential hygiene."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from checks import _gcp
from checks._common import (
    bindings_of,
    iso,
    label,
    not_reported,
    of_providers,
    scanned_scopes,
    short_id,
)
from scanner.arm_permissions import ROLE_ASSIGNMENT_WRITE, ROLE_DEFINITION_WRITE
from scanner.inventory import Credential, Inventory, Principal, RoleBinding, RoleDefinition
from scanner.registry import CheckConfig, check
from scanner.results import Result, Severity

PROVIDERS = ("aws",)

_KEY_KINDS = frozenset({"access_key", "sa_key", "client_secret"})
_CHECKED_KINDS = _KEY_KINDS | {"password"}


@check(
    id="any.principal.privileged_mfa",
    title="Root and console users sign in with MFA",
    severity=Severity.CRITICAL,
    controls=("CLD.12.1.5",),
    providers=PROVIDERS,
    needs=(Principal,),
    rationale=(
        "A password alone is phished or guessed; administrators and the root user must "
        "prove possession of a second factor before they can change the environment."
    ),
    remediation=(
        "Assign an MFA device in the IAM console (Security credentials > Assign MFA device), "
        "a hardware key for the root user; or `aws iam enable-mfa-device --user-name ... "
        "--serial-number ... --authentication-code1 ... --authentication-code2 ...`."
    ),
    references=(
        "CIS AWS 3.0 1.5",
        "CIS AWS 3.0 1.6",
        "CIS AWS 3.0 1.10",
        "CIS AWS 4.0 1.5",
        "CIS AWS 4.0 1.6",
        "CIS AWS 4.0 1.10",
        "prowler:iam_root_mfa_enabled",
        "prowler:iam_root_hardware_mfa_enabled",
        "prowler:iam_user_mfa_enabled_console_access",
    ),
)
def privileged_mfa(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    for who in of_providers(inv, Principal, PROVIDERS):
        if who.principal_kind == "root":
            role = "root user"
        elif who.principal_kind == "human":
            if who.console_access is None:
                yield not_reported(who, "console access")
                continue
            if not who.console_access:
                continue
            role = "console user"
        else:
            continue
        evidence: dict[str, Any] = {
            "principal_kind": who.principal_kind,
            "mfa_hardware": who.mfa_hardware,
        }
        if who.mfa is None:
            yield not_reported(who, "MFA status")
        elif not who.mfa:
            yield Result.failed(who, f"{role} {label(who)} has no MFA", mfa=False, **evidence)
        elif who.principal_kind == "root":
            yield _root_mfa(who, evidence)
        else:
            yield Result.passed(who, f"{role} {label(who)} has MFA", mfa=True, **evidence)


def _root_mfa(root: Principal, evidence: dict[str, Any]) -> Result:
    """Root has MFA; CIS asks for a hardware device, which is judged when reported."""
    if root.mfa_hardware is False:
        return Result.failed(
            root,
            f"root user {label(root)} has only virtual MFA; use a hardware MFA device",
            severity=Severity.HIGH,
            mfa=True,
            **evidence,
        )
    if root.mfa_hardware is None:
        return Result.passed(
            root,
            f"root user {label(root)} has MFA; whether it is a hardware device was not reported",
            mfa=True,
            hardware_mfa="not reported",
            **evidence,
        )
    return Result.passed(root, f"root user {label(root)} has hardware MFA", mfa=True, **evidence)


@check(
    id="aws.iam.root_unused_no_keys",
    title="The root user has no access keys and is not used",
    severity=Severity.CRITICAL,
    controls=("CLD.12.1.5",),
    providers=("aws",),
    needs=(Principal, Credential),
    rationale=(
        "The root user cannot be restricted by IAM policy; an access key for it is a "
        "permanent, unlimited credential, and routine root sign-in means administrative "
        "work escapes least privilege and attribution."
    ),
    remediation=(
        "Sign in as root, delete its access keys under Security credentials (or `aws iam "
        "delete-access-key` with root credentials), and do daily administration through "
        "IAM Identity Center or roles."
    ),
    references=(
        "CIS AWS 3.0 1.4",
        "CIS AWS 3.0 1.7",
        "CIS AWS 4.0 1.4",
        "CIS AWS 4.0 1.7",
        "prowler:iam_no_root_access_key",
        "prowler:iam_avoid_root_usage",
    ),
)
def root_unused_no_keys(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    roots = [p for p in inv.of(Principal) if p.provider == "aws" and p.principal_kind == "root"]
    for scope in scanned_scopes(inv, ("aws",)):
        mine = [r for r in roots if r.account == scope.account]
        if not mine:
            explained = any(
                g.affects((Principal.kind,))
                for g in inv.gaps_for(scope.provider, scope.account, "global")
            )
            if not explained:
                yield Result.error(
                    scope.account_ref(),
                    f"account {scope.account}: the root user was not reported; "
                    "cannot evaluate root usage",
                )
            continue
        for root in mine:
            yield _judge_root(inv, cfg, root)


def _judge_root(inv: Inventory, cfg: CheckConfig, root: Principal) -> Result:
    creds = [c for c in inv.of(Credential) if c.principal_id == root.id]
    keys = [c for c in creds if c.credential_kind == "access_key"]
    active = [k for k in keys if k.active]
    unknown = [k for k in keys if k.active is None]
    since = cfg.now - timedelta(days=cfg.root_unused_days)
    uses = [t for t in (root.last_sign_in, *(c.last_used for c in creds)) if t is not None]
    last_used = max(uses, default=None)
    evidence: dict[str, Any] = {
        "active_access_keys": [k.id for k in active],
        "last_used": iso(last_used),
        "unused_days_required": cfg.root_unused_days,
    }
    problems = []
    if active:
        problems.append(f"has {len(active)} active access key(s)")
    if last_used is not None and last_used > since:
        problems.append(f"was used on {last_used.date().isoformat()}")
    if problems:
        return Result.failed(
            root, f"root user of {root.account} " + " and ".join(problems), **evidence
        )
    if unknown:
        return not_reported(root, "whether the root access keys are active")
    return Result.passed(
        root,
        f"root user of {root.account} has no active access keys and was not used in "
        f"{cfg.root_unused_days} days",
        **evidence,
    )


@check(
    id="any.rolebinding.standing_admin",
    title="No user or group holds a standing administrator grant",
    severity=Severity.HIGH,
    controls=("CLD.12.1.5",),
    providers=(*PROVIDERS, "gcp", "azure"),
    needs=(RoleBinding, RoleDefinition),
    rationale=(
        "Administrator rights attached to users or groups are always on; administrators "
        "should assume a role for the task at hand so that each use is deliberate and logged."
    ),
    remediation={
        "aws": (
            "Detach the administrator policy from the user or group (`aws iam "
            "detach-user-policy` / `detach-group-policy --policy-arn ...`) and grant it through "
            "a role that administrators assume with MFA, or through IAM Identity Center."
        ),
        "azure": (
            "Remove the permanent assignment of a role that can write role assignments "
            "(Owner, User Access Administrator, Role Based Access Control Administrator; `az "
            "role assignment delete --assignee <principal-id> --role Owner --scope "
            "/subscriptions/<sub>`) and make it eligible through Privileged Identity "
            "Management instead; replace custom roles granting `*` or "
            "Microsoft.Authorization/* with roles listing the actions needed (`az role "
            "definition update` / `delete`)."
        ),
        "gcp": (
            "Replace owner/editor and *Admin grants with predefined roles for the task: "
            "`gcloud projects remove-iam-policy-binding <p> --member <member> --role "
            "roles/editor`; give people time-bound elevation (Privileged Access Manager or an "
            "IAM condition with an expiry) and service accounts only the roles they use."
        ),
    },
    references=(
        "CIS AWS 3.0 1.16",
        "CIS AWS 4.0 1.16",
        "CIS GCP 2.0 1.5",
        "CIS GCP 3.0 1.5",
        "prowler:iam_aws_attached_policy_no_administrative_privileges",
        "prowler:iam_customer_attached_policy_no_administrative_privileges",
        "prowler:iam_sa_no_administrative_privileges",
        "CIS Azure 2.1 1.23",
        "prowler:iam_subscription_roles_owner_custom_not_created",
    ),
)
def standing_admin(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    yield from _azure_assignments(inv)
    yield from _azure_custom_roles(inv)
    for grant in of_providers(inv, RoleBinding, ("gcp",)):
        judged = _gcp.judge_binding(grant)
        if judged is not None:
            yield judged
    for binding in of_providers(inv, RoleBinding, PROVIDERS):
        if binding.principal_type not in ("user", "group"):
            continue
        policy = binding.role_name or binding.role
        who = f"{binding.principal_type} {short_id(binding.principal_id)}"
        evidence: dict[str, Any] = {
            "principal_id": binding.principal_id,
            "role": binding.role,
            "inline": binding.inline,
        }
        if binding.admin_equivalent is None:
            yield not_reported(binding, "whether the policy grants administrator rights")
        elif binding.admin_equivalent:
            yield Result.failed(
                binding, f"{who} holds administrator policy {policy} directly", **evidence
            )
        else:
            yield Result.passed(
                binding, f"{who}: policy {policy} is not administrative", **evidence
            )


_AZURE_HUMAN_TYPES = frozenset({"user", "foreign_group"})
"""Azure principals judged: users, and groups of another tenant. A tenant's own groups may
hold Owner (membership is managed and can be made eligible with PIM for Groups)."""
_AZURE_WIDE_SCOPES = frozenset({"subscription", "management_group"})


def _azure_assignments(inv: Inventory) -> Iterator[Result]:
    """Azure: a role that can write role assignments (Owner, User Access Administrator, RBAC
    Administrator, custom roles allowing it) held by a user at subscription scope or above
    is a standing administrator grant (``admin_equivalent`` of the assignment)."""
    for binding in of_providers(inv, RoleBinding, ("azure",)):
        if binding.principal_type not in _AZURE_HUMAN_TYPES:
            continue
        role = binding.role_name or short_id(binding.role)
        who = f"{binding.principal_type.replace('_', ' ')} {binding.principal_id}"
        evidence: dict[str, Any] = {
            "principal_id": binding.principal_id,
            "role": binding.role,
            "role_name": binding.role_name,
            "scope": binding.scope,
            "scope_level": binding.scope_level,
        }
        if binding.admin_equivalent is None:
            yield not_reported(binding, "the role definition of the assignment")
        elif binding.admin_equivalent and binding.scope_level in _AZURE_WIDE_SCOPES:
            yield Result.failed(
                binding,
                f"{who} holds {role} permanently at {binding.scope_level} scope",
                **evidence,
            )
        else:
            yield Result.passed(
                binding,
                f"{who}: {role} at {binding.scope_level or 'unknown'} scope is not a "
                "subscription-wide administrator grant",
                **evidence,
            )


def _azure_custom_roles(inv: Inventory) -> Iterator[Result]:
    """Azure: custom roles that can write role assignments (or role definitions, and so
    rewrite themselves) are owner roles in disguise (CIS asks about ``*``; ``*`` minus
    Microsoft.Authorization writes cannot grant access). The normaliser's
    ``admin_equivalent`` is used: it evaluates each permission block on its own."""
    for role in of_providers(inv, RoleDefinition, ("azure",)):
        if role.custom is None:
            yield not_reported(role, "whether the role is custom")
            continue
        if not role.custom:
            continue
        evidence: dict[str, Any] = {
            "permissions": list(role.permissions),
            "not_permissions": list(role.not_permissions),
            "assignable_scopes": list(role.assignable_scopes),
        }
        if role.admin_equivalent is None:
            yield not_reported(role, "whether the role can write role assignments")
        elif role.admin_equivalent:
            yield Result.failed(
                role,
                f"custom role {label(role)} allows {ROLE_ASSIGNMENT_WRITE} or "
                f"{ROLE_DEFINITION_WRITE}, so its holders can grant themselves any role, "
                "like Owner",
                **evidence,
            )
        else:
            yield Result.passed(
                role,
                f"custom role {label(role)} cannot write role assignments or role definitions",
                **evidence,
            )


@check(
    id="any.credential.old_or_unused",
    title="Credentials are rotated and removed when unused",
    severity=Severity.MEDIUM,
    controls=("CLD.12.1.5",),
    providers=(*PROVIDERS, "gcp"),
    needs=(Credential,),
    rationale=(
        "Long-lived keys leak through laptops, repositories and logs; an old key has had "
        "more time to leak, and an unused credential is attack surface nobody will miss."
    ),
    remediation={
        "aws": (
            "Rotate access keys older than the limit (`aws iam create-access-key`, switch the "
            "application, `aws iam delete-access-key`) and deactivate or delete credentials not "
            "used within the unused limit (`aws iam update-access-key --status Inactive`, "
            "`aws iam delete-login-profile`)."
        ),
        "gcp": (
            "Replace user-managed service-account keys with attached service accounts, "
            "workload identity federation or impersonation, then delete them: `gcloud iam "
            "service-accounts keys delete <key-id> --iam-account <sa-email>`; block new keys "
            "with constraints/iam.disableServiceAccountKeyCreation."
        ),
    },
    references=(
        "CIS AWS 3.0 1.12",
        "CIS AWS 3.0 1.14",
        "CIS AWS 4.0 1.12",
        "CIS AWS 4.0 1.14",
        "CIS GCP 2.0 1.4",
        "CIS GCP 2.0 1.7",
        "CIS GCP 3.0 1.4",
        "CIS GCP 3.0 1.7",
        "prowler:iam_sa_no_user_managed_keys",
        "prowler:iam_sa_user_managed_key_rotate_90_days",
        "prowler:iam_rotate_access_key_90_days",
        "prowler:iam_user_accesskey_unused",
        "prowler:iam_user_console_access_unused",
    ),
)
def old_or_unused(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    yield from _gcp.sa_keys(inv, cfg)
    for cred in of_providers(inv, Credential, PROVIDERS):
        if cred.credential_kind not in _CHECKED_KINDS or cred.active is False:
            continue
        owner = inv.get(cred.principal_id, Principal)
        if (owner is not None and owner.principal_kind == "root") or cred.principal_id.endswith(
            ":root"
        ):
            continue
        if cred.active is None:
            yield not_reported(cred, "whether the credential is active")
            continue
        yield _judge_credential(inv, cfg, cred, owner)


def _judge_credential(
    inv: Inventory, cfg: CheckConfig, cred: Credential, owner: Principal | None
) -> Result:
    is_key = cred.credential_kind in _KEY_KINDS
    evidence: dict[str, Any] = {
        "credential_kind": cred.credential_kind,
        "created_at": iso(cred.created_at),
        "last_used": iso(cred.last_used),
    }
    idle_since = cred.last_used or cred.created_at
    if idle_since is None or (is_key and cred.created_at is None):
        return not_reported(cred, "creation date")
    problems = []
    age = None if cred.created_at is None else _days(cfg.now, cred.created_at)
    if is_key and age is not None and age > cfg.credential_max_age_days:
        problems.append(f"is {age} days old (limit {cfg.credential_max_age_days})")
    idle = _days(cfg.now, idle_since)
    if idle > cfg.credential_unused_days:
        problems.append(
            f"has not been used for {idle} days (limit {cfg.credential_unused_days})"
            if cred.last_used
            else f"has never been used in {idle} days"
        )
    kind = cred.credential_kind.replace("_", " ")
    if problems:
        admin = owner is not None and any(b.admin_equivalent for b in bindings_of(inv, owner))
        return Result.failed(
            cred,
            f"{kind} {_cred_label(cred)} " + " and ".join(problems),
            severity=Severity.HIGH if admin else None,
            owner_is_admin=admin,
            **evidence,
        )
    if cred.last_used is None:
        state = f"was created {_ago(idle)} and has not been used yet"
    elif is_key:
        state = f"is {age} days old and was last used {_ago(idle)}"
    else:
        state = f"was last used {_ago(idle)}"
    return Result.passed(cred, f"{kind} {_cred_label(cred)} {state}", **evidence)


def _cred_label(cred: Credential) -> str:
    """``alice#access_key_1``: the owner's short name and which credential it is."""
    return label(cred).split(" (", 1)[0]


def _days(now: datetime, then: datetime) -> int:
    return (now - then).days


def _ago(days: int) -> str:
    if days <= 0:
        return "today"
    return "1 day ago" if days == 1 else f"{days} days ago"
