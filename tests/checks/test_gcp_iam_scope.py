"""GCP IAM findings say they judged project-level bindings only (folder / org not read)."""

from __future__ import annotations

from dataclasses import replace

from scanner.inventory import Principal, RoleBinding
from scanner.results import Status
from tests.checks.builders import only
from tests.checks.gcp_builders import APP_SA, PROJECT, SCOPE, make, run, vm

IDENTITY = "any.compute.identity_least_privilege"
ADMIN = "any.rolebinding.standing_admin"
RM = f"//cloudresourcemanager.googleapis.com/projects/{PROJECT}"


def sa() -> Principal:
    return make(
        Principal,
        f"projects/{PROJECT}/serviceAccounts/{APP_SA}",
        principal_kind="service",
        aliases=(APP_SA, f"serviceAccount:{APP_SA}"),
    )


def viewer() -> RoleBinding:
    member = f"serviceAccount:{APP_SA}"
    return make(
        RoleBinding,
        f"{RM}#roles/viewer#{member}",
        principal_id=member,
        principal_type="service_account",
        role="roles/viewer",
        role_name="roles/viewer",
        scope=f"projects/{PROJECT}",
        scope_level="project",
        admin_equivalent=False,
    )


def test_identity_pass_names_the_projects_whose_policy_was_read() -> None:
    instance = vm()
    f = only(run(IDENTITY, instance, sa(), viewer()), instance.id)
    assert f.status is Status.PASS
    assert f.message.endswith(
        f"holds no administrator rights in project {PROJECT} (project-level IAM only; "
        "folder and organization policies are not read)"
    )
    assert f.evidence["iam_policies_read"] == [f"projects/{PROJECT}"]
    assert f.evidence["inherited_bindings_read"] is False
    two = (SCOPE, replace(SCOPE, account="acme-shared", native_id="x"))
    f2 = only(run(IDENTITY, instance, sa(), viewer(), scopes=two), instance.id)
    assert f"in project {PROJECT} or 1 other scanned project(s)" in f2.message


def test_binding_pass_names_its_project() -> None:
    b = viewer()
    f = only(run(ADMIN, b), b.id)
    assert f.status is Status.PASS
    assert f.message.endswith(f"role roles/viewer on projects/{PROJECT} is not administrative")
