"""Project IAM policy (bindings, audit configs), service accounts and their keys."""

from __future__ import annotations

from providers.gcp.normalise.common import CRM, Ctx, Json, parse_time
from scanner.inventory import (
    GLOBAL,
    AuditTrail,
    Credential,
    Entity,
    Principal,
    RoleBinding,
    RoleDefinition,
)

PRIMITIVE_ADMIN = frozenset({"roles/owner", "roles/editor"})
ALL_SERVICES = "allServices"
_MEMBER_KINDS = {
    "user": ("user", "human"),
    "group": ("group", "group"),
    "domain": ("domain", "group"),
    "serviceAccount": ("service_account", "service"),
}
_PUBLIC = frozenset({"allUsers", "allAuthenticatedUsers"})


ESCALATION_PERMISSIONS = frozenset(
    {
        "resourcemanager.projects.setIamPolicy",
        "resourcemanager.folders.setIamPolicy",
        "resourcemanager.organizations.setIamPolicy",
        "iam.roles.update",
    }
)
"""Permissions that let a holder grant itself anything: a custom role with one of them is
administrator-equivalent."""


def admin_equivalent(role: str) -> bool | None:
    """Primitive owner/editor or a predefined ``*Admin`` role; ``None`` for a custom role
    (``projects/…/roles/…``, ``organizations/…/roles/…``), which its permissions decide."""
    if not role.startswith("roles/"):
        return None
    leaf = role.rsplit("/", 1)[-1].rsplit(".", 1)[-1]
    return role in PRIMITIVE_ADMIN or leaf.endswith(("admin", "Admin"))


def custom_role(ctx: Ctx, item: Json) -> RoleDefinition:
    """A project custom role (IAM ``roles.list?view=FULL``); deleted roles grant nothing."""
    permissions = tuple(str(p) for p in item.get("includedPermissions") or ())
    deleted = bool(item.get("deleted", False))
    return RoleDefinition(
        **ctx.base(str(item["name"]), GLOBAL, str(item.get("title") or item["name"])),
        custom=True,
        permissions=permissions,
        assignable_scopes=(f"projects/{ctx.project}",),
        admin_equivalent=not deleted and bool(ESCALATION_PERMISSIONS & set(permissions)),
    )


def member_type(member: str) -> tuple[str, str]:
    """(RoleBinding.principal_type, Principal.principal_kind) of a policy member."""
    if member in _PUBLIC:
        return "public", "guest"
    prefix = member.split(":", 1)[0]
    if prefix.startswith("deleted"):
        prefix = member.split(":", 2)[1] if member.count(":") >= 2 else prefix
    return _MEMBER_KINDS.get(prefix, ("user", "guest"))


def sa_principal_id(project: str, email: str) -> str:
    return f"projects/{project}/serviceAccounts/{email}"


def policy(ctx: Ctx, body: Json) -> list[Entity]:
    """Role bindings, member principals and the audit-config trail of a project policy."""
    out: list[Entity] = []
    members: dict[str, str] = {}
    for binding in body.get("bindings") or []:
        role = str(binding.get("role", ""))
        for raw in binding.get("members") or []:
            member = str(raw)
            principal_type, kind = member_type(member)
            members.setdefault(member, kind)
            out.append(
                RoleBinding(
                    **ctx.base(f"{ctx.native_id}#{role}#{member}", GLOBAL, f"{role} {member}"),
                    principal_id=member,
                    principal_type=principal_type,
                    role=role,
                    role_name=role,
                    scope=f"projects/{ctx.project}",
                    scope_level="project",
                    admin_equivalent=admin_equivalent(role),
                )
            )
    for member, kind in members.items():
        out.append(Principal(**ctx.base(member, GLOBAL, member), principal_kind=kind))
    out.append(audit_configs(ctx, body.get("auditConfigs") or []))
    return out


def audit_configs(ctx: Ctx, configs: list[Json]) -> AuditTrail:
    """Data Access audit logging as the policy sets it; absent configs mean none is on."""
    enabled: set[str] = set()
    exempted = False
    for config in configs:
        if config.get("service") != ALL_SERVICES:
            continue
        for log in config.get("auditLogConfigs") or []:
            log_type = str(log.get("logType", ""))
            enabled.add(log_type)
            if log_type in ("DATA_READ", "DATA_WRITE") and log.get("exemptedMembers"):
                exempted = True
    return AuditTrail(
        **ctx.base(f"{CRM}/projects/{ctx.project}/auditConfigs", GLOBAL, "audit configs"),
        all_regions=True,
        logging=True,
        mgmt_write=True,  # Admin Activity audit logs cannot be switched off.
        mgmt_read="ADMIN_READ" in enabled,
        data_events={"DATA_READ", "DATA_WRITE"} <= enabled and not exempted,
        categories=tuple(t for t in ("ADMIN_READ", "DATA_READ", "DATA_WRITE") if t in enabled),
    )


def service_account(ctx: Ctx, item: Json) -> Principal:
    email = str(item.get("email", ""))
    return Principal(
        **ctx.base(sa_principal_id(ctx.project, email), GLOBAL, email),
        principal_kind="service",
        aliases=(email, f"serviceAccount:{email}"),
    )


def sa_key(ctx: Ctx, principal_id: str, item: Json) -> Credential:
    expires = parse_time(item.get("validBeforeTime"))
    return Credential(
        **ctx.base(str(item["name"]), GLOBAL, str(item["name"]).rsplit("/", 1)[-1]),
        principal_id=principal_id,
        credential_kind="sa_key",
        user_managed=True,
        active=not item.get("disabled", False),
        created_at=parse_time(item.get("validAfterTime")),
        expires_at=None if expires is None or expires.year >= 9999 else expires,
        last_used=None,
    )
