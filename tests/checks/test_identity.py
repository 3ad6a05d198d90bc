"""MFA, root usage, standing admin grants and credential hygiene."""

from __future__ import annotations

from scanner.engine import scope_ref
from scanner.inventory import GLOBAL, Credential, Principal, RoleBinding
from scanner.registry import CheckConfig, load_checks
from scanner.results import Severity, Status
from tests.checks.builders import (
    ACCOUNT,
    NOW,
    ROOT_ARN,
    ago,
    gap,
    iam,
    make,
    only,
    run,
    statuses,
)

MFA = "any.principal.privileged_mfa"
ROOT = "aws.iam.root_unused_no_keys"
ADMIN = "any.rolebinding.standing_admin"
CRED = "any.credential.old_or_unused"
ALICE = iam("user/alice")
KEY = f"{ALICE}#access_key_1"


def person(pid: str = ALICE, **kw: object) -> Principal:
    fields: dict[str, object] = {"principal_kind": "human", "name": pid.rsplit("/", 1)[-1]}
    fields.update(kw)
    return make(Principal, pid, region=GLOBAL, **fields)  # type: ignore[arg-type]


def root(**kw: object) -> Principal:
    return make(Principal, ROOT_ARN, region=GLOBAL, principal_kind="root", **kw)  # type: ignore[arg-type]


def cred(
    cid: str = KEY, principal: str = ALICE, kind: str = "access_key", **kw: object
) -> Credential:
    fields: dict[str, object] = {"active": True, "created_at": ago(10), "last_used": ago(1)}
    fields.update(kw)
    return make(
        Credential, cid, region=GLOBAL, principal_id=principal, credential_kind=kind, **fields
    )  # type: ignore[arg-type]


ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"


def binding(principal: str, ptype: str, admin: bool | None) -> RoleBinding:
    return make(
        RoleBinding,
        f"{principal}#{ADMIN_POLICY}",
        region=GLOBAL,
        principal_id=principal,
        principal_type=ptype,
        role_name="AdministratorAccess",
        admin_equivalent=admin,
    )


# --- MFA ------------------------------------------------------------------------------


def test_root_without_mfa_fails_and_unknown_is_error() -> None:
    f = only(run(MFA, root(mfa=False, mfa_hardware=False)), ROOT_ARN)
    assert f.status is Status.FAIL and "root user" in f.message
    assert f.evidence["mfa_hardware"] is False
    assert statuses(run(MFA, root())) == {ROOT_ARN: Status.ERROR}


def test_console_user_without_mfa_fails() -> None:
    f = only(run(MFA, person(console_access=True, mfa=False)), ALICE)
    assert f.status is Status.FAIL and "alice" in f.message


def test_users_without_console_and_roles_are_skipped_unknown_console_is_error() -> None:
    role = make(Principal, iam("role/r"), region=GLOBAL, principal_kind="role", mfa=False)
    assert run(MFA, person(console_access=False, mfa=False), role) == []
    assert statuses(run(MFA, person(mfa=False))) == {ALICE: Status.ERROR}


def test_root_with_only_virtual_mfa_fails_as_cis_1_6_asks() -> None:
    f = only(run(MFA, root(mfa=True, mfa_hardware=False)), ROOT_ARN)
    assert f.status is Status.FAIL and f.severity is Severity.HIGH
    assert f.message.startswith("root user root has only virtual MFA")
    f = only(run(MFA, root(mfa=True, mfa_hardware=True)), ROOT_ARN)
    assert f.status is Status.PASS and "hardware MFA" in f.message


def test_root_mfa_of_unreported_kind_passes_but_says_so() -> None:
    f = only(run(MFA, root(mfa=True)), ROOT_ARN)
    assert f.status is Status.PASS and "hardware device was not reported" in f.message
    assert f.evidence["hardware_mfa"] == "not reported" and f.evidence["mfa_hardware"] is None


def test_a_console_user_needs_no_hardware_mfa() -> None:
    f = only(run(MFA, person(console_access=True, mfa=True, mfa_hardware=False)), ALICE)
    assert f.status is Status.PASS


# --- root -----------------------------------------------------------------------------


def test_active_root_key_fails() -> None:
    key = cred(f"{ROOT_ARN}#access_key_1", ROOT_ARN, last_used=None, created_at=ago(900))
    f = only(run(ROOT, root(), key), ROOT_ARN)
    assert f.status is Status.FAIL and "active access key" in f.message
    assert f.evidence["active_access_keys"] == [key.id]


def test_recent_root_sign_in_fails_and_old_passes() -> None:
    assert statuses(run(ROOT, root(last_sign_in=ago(5)))) == {ROOT_ARN: Status.FAIL}
    assert statuses(run(ROOT, root(last_sign_in=ago(120)))) == {ROOT_ARN: Status.PASS}
    cfg = CheckConfig(root_unused_days=180, now=NOW)
    assert statuses(run(ROOT, root(last_sign_in=ago(120)), cfg=cfg)) == {ROOT_ARN: Status.FAIL}


def test_recent_use_of_an_inactive_root_key_counts_as_use() -> None:
    key = cred(f"{ROOT_ARN}#access_key_1", ROOT_ARN, active=False, last_used=ago(3))
    assert statuses(run(ROOT, root(), key)) == {ROOT_ARN: Status.FAIL}


def test_root_key_of_unknown_state_is_error() -> None:
    key = cred(f"{ROOT_ARN}#access_key_1", ROOT_ARN, active=None, last_used=None)
    assert statuses(run(ROOT, root(), key)) == {ROOT_ARN: Status.ERROR}


def test_missing_root_without_a_gap_is_error_on_the_account() -> None:
    f = only(run(ROOT), ROOT_ARN)
    assert f.status is Status.ERROR and f.resource.kind == "account"
    assert "root user was not reported" in f.message
    findings = run(ROOT, gaps=(gap(("principal",)),))
    assert [(x.status, "access_denied" in x.message) for x in findings] == [(Status.ERROR, True)]


def test_root_row_missing_from_credentials_gap_withdraws_pass() -> None:
    """moto's credential report has no root row: the AWS provider records a gap for it."""
    findings = run(ROOT, root(last_sign_in=ago(200)), gaps=(gap(("credential",)),))
    assert statuses(findings) == {scope_ref("aws", ACCOUNT, GLOBAL).id: Status.ERROR}


# --- standing admin --------------------------------------------------------------------


def test_user_and_group_admin_grants_fail_role_grants_are_skipped() -> None:
    group = iam("group/admins")
    findings = run(
        ADMIN,
        binding(ALICE, "user", True),
        binding(group, "group", True),
        binding(iam("role/ops"), "role", True),
    )
    assert {f.resource.id: f.status for f in findings} == {
        f"{ALICE}#arn:aws:iam::aws:policy/AdministratorAccess": Status.FAIL,
        f"{group}#arn:aws:iam::aws:policy/AdministratorAccess": Status.FAIL,
    }
    user_finding = only(findings, f"{ALICE}#arn:aws:iam::aws:policy/AdministratorAccess")
    assert "user alice holds administrator policy AdministratorAccess" in user_finding.message


def test_unknown_admin_equivalence_is_error() -> None:
    assert {f.status for f in run(ADMIN, binding(ALICE, "user", None))} == {Status.ERROR}


def test_standing_admin_cites_only_what_it_judges() -> None:
    """CIS 1.15 (no policies on users at all) is not judged: only admin grants are."""
    refs = load_checks()[ADMIN].references
    assert not [r for r in refs if r.endswith(" 1.15")]
    assert "prowler:iam_policy_attached_only_to_group_or_roles" not in refs
    assert "CIS AWS 3.0 1.16" in refs


def test_standing_admin_names_the_principal_by_its_short_id() -> None:
    path_user = iam("user/division/bob")
    f = only(run(ADMIN, binding(path_user, "user", True)), f"{path_user}#{ADMIN_POLICY}")
    assert f.message == "user bob holds administrator policy AdministratorAccess directly"


# --- credentials ------------------------------------------------------------------------


def test_old_access_key_fails() -> None:
    f = only(run(CRED, cred(created_at=ago(100))), KEY)
    assert f.status is Status.FAIL and f.severity is Severity.MEDIUM
    assert "100 days old" in f.message


def test_unused_key_and_never_used_key_fail() -> None:
    assert statuses(run(CRED, cred(created_at=ago(60), last_used=ago(50)))) == {KEY: Status.FAIL}
    f = only(run(CRED, cred(created_at=ago(60), last_used=None)), KEY)
    assert f.status is Status.FAIL and "never been used" in f.message
    assert statuses(run(CRED, cred(created_at=ago(20), last_used=None))) == {KEY: Status.PASS}


def test_pass_messages_say_what_is_true_of_the_credential() -> None:
    new_pw = f"{ALICE}#password"
    fresh = only(
        run(CRED, cred(new_pw, kind="password", created_at=ago(3), last_used=None)), new_pw
    )
    assert fresh.status is Status.PASS
    assert (
        fresh.message == "password alice#password was created 3 days ago and has not been used yet"
    )
    assert "in use" not in fresh.message and "recent" not in fresh.message
    today = only(run(CRED, cred(created_at=ago(0), last_used=None)), KEY)
    assert today.message.endswith("access_key_1 was created today and has not been used yet")
    used = only(run(CRED, cred(created_at=ago(20), last_used=ago(1))), KEY)
    assert used.message.endswith("access_key_1 is 20 days old and was last used 1 day ago")
    old_pw = only(
        run(CRED, cred(new_pw, kind="password", created_at=ago(400), last_used=ago(2))), new_pw
    )
    assert old_pw.message == "password alice#password was last used 2 days ago"


def test_unused_password_fails_but_an_old_password_in_use_passes() -> None:
    pw = f"{ALICE}#password"
    assert statuses(
        run(CRED, cred(pw, kind="password", created_at=ago(400), last_used=ago(60)))
    ) == {pw: Status.FAIL}
    assert statuses(
        run(CRED, cred(pw, kind="password", created_at=ago(400), last_used=ago(2)))
    ) == {pw: Status.PASS}


def test_inactive_and_root_credentials_are_skipped() -> None:
    inactive = cred(active=False, created_at=ago(900))
    root_key = cred(f"{ROOT_ARN}#access_key_1", ROOT_ARN, created_at=ago(900))
    assert run(CRED, inactive, root_key) == []


def test_unknown_state_or_age_is_error() -> None:
    assert statuses(run(CRED, cred(active=None))) == {KEY: Status.ERROR}
    assert statuses(run(CRED, cred(created_at=None))) == {KEY: Status.ERROR}


def test_old_key_of_an_admin_is_high() -> None:
    group = iam("group/admins")
    findings = run(
        CRED, person(member_of=(group,)), binding(group, "group", True), cred(created_at=ago(100))
    )
    f = only(findings, KEY)
    assert f.severity is Severity.HIGH and f.evidence["owner_is_admin"] is True
