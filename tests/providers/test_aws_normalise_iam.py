"""IAM normalisers: credential report rows, authorization details, password policy."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import quote

from providers.aws.arns import Ctx
from providers.aws.normalise import iam
from scanner.inventory import Credential, Principal, RoleBinding

CTX = Ctx("111122223333", "global")
HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
)
REPORT = "\n".join(
    [
        HEADER,
        "<root_account>,arn:aws:iam::111122223333:root,2019-01-01T00:00:00+00:00,not_supported,"
        "2024-03-01T10:00:00+00:00,not_supported,not_supported,true,true,2020-01-01T00:00:00+00:00,"
        "N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
        "bob,arn:aws:iam::111122223333:user/bob,2021-01-01T00:00:00+00:00,true,no_information,"
        "2021-01-02T00:00:00+00:00,N/A,false,false,2021-06-01T00:00:00+00:00,"
        "2021-07-01T00:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
    ]
)


def test_credential_report_rows() -> None:
    out = list(iam.report_rows(iam.parse_report(REPORT.encode()), CTX))
    principals = {e.id: e for e in out if isinstance(e, Principal)}
    creds = {e.id: e for e in out if isinstance(e, Credential)}
    root = principals["arn:aws:iam::111122223333:root"]
    assert root.principal_kind == "root" and root.mfa is True
    assert root.console_access is None
    assert root.last_sign_in == datetime(2024, 3, 1, 10, tzinfo=UTC)
    root_key = creds["arn:aws:iam::111122223333:root#access_key_1"]
    assert root_key.active is True and root_key.created_at == datetime(2020, 1, 1, tzinfo=UTC)
    bob = principals["arn:aws:iam::111122223333:user/bob"]
    assert bob.principal_kind == "human" and bob.console_access is True and bob.mfa is False
    assert bob.last_sign_in is None
    inactive_key = creds["arn:aws:iam::111122223333:user/bob#access_key_1"]
    assert inactive_key.active is False
    assert inactive_key.last_used == datetime(2021, 7, 1, tzinfo=UTC)
    assert "arn:aws:iam::111122223333:user/bob#access_key_2" not in creds
    assert creds["arn:aws:iam::111122223333:user/bob#password"].active is True
    assert "arn:aws:iam::111122223333:root#password" not in creds


def test_root_hardware_mfa() -> None:
    virtual = [
        {
            "SerialNumber": "arn:aws:iam::111122223333:mfa/root-account-mfa-device",
            "User": {"Arn": "arn:aws:iam::111122223333:root"},
        }
    ]
    assert iam.root_has_virtual_mfa(virtual, CTX) is True
    assert iam.hardware_mfa(True, False) is True
    assert iam.hardware_mfa(True, True) is False
    assert iam.hardware_mfa(True, None) is None
    assert iam.hardware_mfa(False, None) is False
    root = iam.root_from_summary({"AccountMFAEnabled": 1}, CTX, False)
    assert root.mfa is True and root.mfa_hardware is True


ADMIN_DOC = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
READ_DOC = {"Statement": [{"Effect": "Allow", "Action": ["s3:Get*"], "Resource": "*"}]}


def test_admin_equivalence() -> None:
    assert iam.grants_admin(ADMIN_DOC)
    assert iam.grants_admin({"Statement": {"Effect": "Allow", "Action": ["*"], "Resource": ["*"]}})
    conditional = {
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Bool": {"x": "y"}}}
        ]
    }
    # Admin behind a condition (MFA, source IP) is still admin.
    assert iam.grants_admin(conditional)
    assert not iam.grants_admin(READ_DOC)
    assert iam.document(quote(json.dumps(ADMIN_DOC))) == ADMIN_DOC


def _allow(**statement: object) -> dict[str, object]:
    return {"Statement": [{"Effect": "Allow", **statement}]}


def test_admin_equivalent_actions_and_not_action() -> None:
    for action in ("*:*", "iam:*", "IAM:*", ["s3:GetObject", "iam:*"], ["*"]):
        assert iam.grants_admin(_allow(Action=action, Resource="*")), action
    assert iam.grants_admin(_allow(Action="*", Resource=["arn:aws:s3:::b", "*"]))
    assert iam.grants_admin(_allow(NotAction=["iam:*"], Resource="*"))
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    assert iam.grants_admin(_allow(Action="iam:*", Resource="*", Condition=mfa))
    assert not iam.grants_admin(_allow(Action="*", Resource="arn:aws:s3:::b"))
    assert not iam.grants_admin(_allow(NotAction="iam:*", Resource="arn:aws:s3:::b"))
    assert not iam.grants_admin(_allow(Action=["iam:Get*", "iam:List*"], Resource="*"))
    deny = {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
    assert not iam.grants_admin(deny)


def test_authorization_details() -> None:
    page = {
        "UserDetailList": [
            {
                "UserName": "bob",
                "Arn": "arn:aws:iam::111122223333:user/bob",
                "GroupList": ["ops"],
                "AttachedManagedPolicies": [],
                "UserPolicyList": [{"PolicyName": "god", "PolicyDocument": ADMIN_DOC}],
            }
        ],
        "GroupDetailList": [
            {
                "GroupName": "ops",
                "Arn": "arn:aws:iam::111122223333:group/team/ops",
                "AttachedManagedPolicies": [
                    {"PolicyName": "ReadS3", "PolicyArn": "arn:aws:iam::111122223333:policy/ReadS3"}
                ],
            }
        ],
        "RoleDetailList": [
            {
                "RoleName": "app",
                "Arn": "arn:aws:iam::111122223333:role/app",
                "InstanceProfileList": [{"Arn": "arn:aws:iam::111122223333:instance-profile/app"}],
                "AttachedManagedPolicies": [
                    {
                        "PolicyName": "AdministratorAccess",
                        "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
                    }
                ],
            }
        ],
        "Policies": [
            {
                "Arn": "arn:aws:iam::111122223333:policy/ReadS3",
                "PolicyVersionList": [
                    {"IsDefaultVersion": True, "Document": quote(json.dumps(READ_DOC))}
                ],
            },
            {
                "Arn": "arn:aws:iam::aws:policy/AdministratorAccess",
                "PolicyVersionList": [
                    {"IsDefaultVersion": False, "Document": READ_DOC},
                    {"IsDefaultVersion": True, "Document": ADMIN_DOC},
                ],
            },
        ],
    }
    out = list(iam.authorization_details([page], CTX))
    principals = {e.id: e for e in out if isinstance(e, Principal)}
    bindings = {e.id: e for e in out if isinstance(e, RoleBinding)}
    assert principals["arn:aws:iam::111122223333:user/bob"].member_of == (
        "arn:aws:iam::111122223333:group/team/ops",
    )
    role = principals["arn:aws:iam::111122223333:role/app"]
    assert role.principal_kind == "role"
    assert role.aliases == ("arn:aws:iam::111122223333:instance-profile/app",)
    inline = bindings["arn:aws:iam::111122223333:user/bob#inline/god"]
    assert inline.inline and inline.admin_equivalent and inline.principal_type == "user"
    group_binding = bindings[
        "arn:aws:iam::111122223333:group/team/ops#arn:aws:iam::111122223333:policy/ReadS3"
    ]
    assert group_binding.admin_equivalent is False and group_binding.scope_level == "account"
    admin = bindings[
        "arn:aws:iam::111122223333:role/app#arn:aws:iam::aws:policy/AdministratorAccess"
    ]
    assert admin.admin_equivalent is True and admin.scope == "arn:aws:iam::111122223333:root"


def test_password_policy() -> None:
    assert iam.password_policy(None, CTX).present is False
    policy = iam.password_policy({"MinimumPasswordLength": 14, "RequireSymbols": True}, CTX)
    assert policy.present and policy.minimum_length == 14 and policy.require_symbols
    assert policy.max_age_days is None
