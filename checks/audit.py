"""Audit trail coverage and integrity, and configuration history."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checks import _gcp
from checks._azure_audit import judge_log_storage, judge_policy_benchmark
from checks._common import (
    in_scope,
    label,
    not_reported,
    of_providers,
    scanned_regions,
    scanned_scopes,
    unseen,
)
from checks._gcp_services import ASSET_INVENTORY, judge_project_service
from checks._gcp_trail import judge_sink_lock
from scanner.inventory import GLOBAL, AuditTrail, Inventory, SecurityService
from scanner.registry import CheckConfig, check
from scanner.results import Result, Severity

PROVIDERS = ("aws",)

_COMPLETE = {
    "all_regions": "is not multi-region",
    "logging": "is not logging",
    "mgmt_read": "does not record read management events",
    "mgmt_write": "does not record write management events",
}


@check(
    id="any.audit_trail.complete",
    title="A logging, multi-region audit trail records all management events",
    severity=Severity.CRITICAL,
    controls=("CLD.12.4.5",),
    providers=("aws", "azure", "gcp"),
    needs=(AuditTrail,),
    rationale=(
        "Without a complete audit trail in every region, administrative actions and attacks "
        "in an unused region leave no record; monitoring and investigation start from it."
    ),
    remediation={
        "aws": (
            "`aws cloudtrail create-trail --name org-audit --s3-bucket-name ... "
            "--is-multi-region-trail --enable-log-file-validation --kms-key-id ...`, then "
            "`aws cloudtrail start-logging --name org-audit`; keep the default event selector "
            "(ReadWriteType All, management events included)."
        ),
        "azure": (
            "Export the subscription's activity log with a diagnostic setting that enables "
            "the Administrative, Security, Policy and Alert categories: `az monitor "
            "diagnostic-settings subscription create -n activity-log --location <region> "
            "--workspace <log-analytics-id> --logs "
            '\'[{"category":"Administrative","enabled":true},...]\'` (or a storage '
            "account / event hub as destination)."
        ),
        "gcp": (
            "Log Data Access for every service: `gcloud projects get-iam-policy <p> > "
            "policy.yaml`, add `auditConfigs: [{service: allServices, auditLogConfigs: "
            "[{logType: ADMIN_READ}, {logType: DATA_READ}, {logType: DATA_WRITE}]}]` with no "
            "exemptedMembers, `gcloud projects set-iam-policy <p> policy.yaml`; export every "
            "entry with a sink without filter: `gcloud logging sinks create <name> "
            "storage.googleapis.com/<bucket>`."
        ),
    },
    references=(
        "CIS AWS 3.0 3.1",
        "CIS AWS 4.0 3.1",
        "CIS Azure 2.1 5.1.1",
        "CIS Azure 2.1 5.1.2",
        "CIS Azure 3.0 6.1.1.1",
        "CIS Azure 3.0 6.1.1.2",
        "prowler:cloudtrail_multi_region_enabled",
        "prowler:cloudtrail_multi_region_enabled_logging_management_events",
        "prowler:monitor_diagnostic_settings_exists",
        "prowler:monitor_diagnostic_setting_with_appropriate_categories",
        "CIS GCP 2.0 2.1",
        "CIS GCP 2.0 2.2",
        "CIS GCP 3.0 2.1",
        "CIS GCP 3.0 2.2",
        "prowler:iam_audit_logs_enabled",
        "prowler:logging_sink_created",
    ),
)
def audit_trail_complete(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    yield from _azure_activity_log(inv)
    for project in scanned_scopes(inv, ("gcp",)):
        judged = _gcp.judge_project_logging(inv, project)
        if judged is not None:
            yield judged
    trails = list(of_providers(inv, AuditTrail, PROVIDERS))
    for scope in scanned_scopes(inv, PROVIDERS):
        mine = [t for t in trails if in_scope(t, scope)]
        flags = {t.id: {f: getattr(t, f) for f in _COMPLETE} for t in mine}
        ref = scope.account_ref()
        good = [t for t in mine if all(flags[t.id].values())]
        lacks = {
            t.id: [text for f, text in _COMPLETE.items() if flags[t.id][f] is False] for t in mine
        }
        evidence: dict[str, Any] = {
            "trails": {t.id: dict(flags[t.id]) for t in mine},
            "lacks": {short: v for short, v in lacks.items() if v},
        }
        if good:
            yield Result.passed(
                ref,
                f"account {scope.account} has a complete audit trail: {label(good[0])}",
                complete_trails=[t.id for t in good],
                **evidence,
            )
        elif any(not lacks[t.id] for t in mine):
            unknown = [t for t in mine if not lacks[t.id]]
            yield Result.error(
                ref,
                f"account {scope.account}: the logging state or event selectors of trail(s) "
                f"{', '.join(label(t) for t in unknown)} were not reported",
                **evidence,
            )
        elif unseen(inv, scope.provider, scope.account, GLOBAL, (AuditTrail.kind,)):
            continue
        elif not mine:
            yield Result.failed(ref, f"account {scope.account} has no audit trail", **evidence)
        else:
            detail = "; ".join(f"{label(t)} {', '.join(lacks[t.id])}" for t in mine)
            yield Result.failed(
                ref, f"account {scope.account} has no complete audit trail: {detail}", **evidence
            )


AZURE_CATEGORIES = ("Administrative", "Alert", "Policy", "Security")
"""Activity-log categories a subscription diagnostic setting must export (CIS Azure)."""


def _azure_activity_log(inv: Inventory) -> Iterator[Result]:
    """Azure: the activity log is always on; it must be exported with the CIS categories."""
    settings = list(of_providers(inv, AuditTrail, ("azure",)))
    for scope in scanned_scopes(inv, ("azure",)):
        mine = [t for t in settings if in_scope(t, scope)]
        lacks = {
            t.id: [c for c in AZURE_CATEGORIES if c.lower() not in _lowered(t.categories)]
            + ([] if t.store_id else ["a destination"])
            for t in mine
        }
        good = [t for t in mine if not lacks[t.id]]
        evidence: dict[str, Any] = {
            "required_categories": list(AZURE_CATEGORIES),
            "settings": {
                t.id: {"categories": list(t.categories), "store_id": t.store_id} for t in mine
            },
        }
        ref = scope.account_ref()
        where = f"subscription {scope.account}"
        if good:
            yield Result.passed(
                ref,
                f"{where} exports its activity log through {label(good[0])} with categories "
                + ", ".join(AZURE_CATEGORIES),
                complete_trails=[t.id for t in good],
                **evidence,
            )
        elif unseen(inv, scope.provider, scope.account, GLOBAL, (AuditTrail.kind,)):
            continue
        elif not mine:
            yield Result.failed(
                ref, f"{where} has no diagnostic setting exporting its activity log", **evidence
            )
        else:
            detail = "; ".join(f"{label(t)} lacks {', '.join(lacks[t.id])}" for t in mine)
            yield Result.failed(
                ref,
                f"{where} exports no activity log with every required category: {detail}",
                **evidence,
            )


def _lowered(items: tuple[str, ...]) -> set[str]:
    return {i.lower() for i in items}


@check(
    id="any.audit_trail.tamper_resistant",
    title="Audit trails are integrity-validated and encrypted with a customer key",
    severity=Severity.HIGH,
    controls=("CLD.12.4.5",),
    providers=(*PROVIDERS, "azure", "gcp"),
    needs=(AuditTrail,),
    rationale=(
        "Log file validation proves that delivered logs were not altered or deleted, and a "
        "customer-managed key adds a second permission an attacker must hold to read them."
    ),
    remediation={
        "aws": (
            "`aws cloudtrail update-trail --name ... --enable-log-file-validation --kms-key-id "
            "arn:aws:kms:...:key/...` (the key policy must allow cloudtrail.amazonaws.com to "
            "encrypt)."
        ),
        "azure": (
            "On the storage account the activity log is exported to: `az storage account "
            "update -n <account> -g <rg> --allow-blob-public-access false`; give it a managed "
            "identity with Get, Wrap Key and Unwrap Key on a Key Vault key, then `az storage "
            "account update -n <account> -g <rg> --encryption-key-source Microsoft.Keyvault "
            "--encryption-key-vault https://<vault>.vault.azure.net --encryption-key-name "
            "<key>`."
        ),
        "gcp": (
            "Give the sink's bucket a retention policy and lock it (locking cannot be undone): "
            "`gcloud storage buckets update gs://<bucket> --retention-period=365d`, then "
            "`gcloud storage buckets update gs://<bucket> --lock-retention-period`."
        ),
    },
    references=(
        "CIS AWS 3.0 3.2",
        "CIS AWS 3.0 3.5",
        "CIS AWS 4.0 3.2",
        "CIS AWS 4.0 3.5",
        "prowler:cloudtrail_log_file_validation_enabled",
        "prowler:cloudtrail_kms_encryption_enabled",
        "CIS Azure 2.1 5.1.3",
        "CIS Azure 3.0 6.1.3",
        "prowler:monitor_storage_account_with_activity_logs_cmk_encrypted",
        "prowler:monitor_storage_account_with_activity_logs_is_private",
        "CIS GCP 2.0 2.3",
        "CIS GCP 3.0 2.3",
        "prowler:cloudstorage_bucket_log_retention_policy_lock",
    ),
)
def tamper_resistant(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    yield from judge_log_storage(inv)
    yield from judge_sink_lock(inv)
    for trail in of_providers(inv, AuditTrail, PROVIDERS):
        evidence: dict[str, Any] = {
            "validated": trail.validated,
            "encrypted_cmk": trail.encrypted_cmk,
        }
        lacks = []
        if trail.validated is False:
            lacks.append("log file validation is off")
        if trail.encrypted_cmk is False:
            lacks.append("logs are not encrypted with a customer-managed key")
        if lacks:
            yield Result.failed(trail, f"trail {label(trail)}: {' and '.join(lacks)}", **evidence)
        elif trail.validated is None:
            yield not_reported(trail, "log file validation")
        elif trail.encrypted_cmk is None:
            yield not_reported(trail, "log encryption")
        else:
            yield Result.passed(
                trail,
                f"trail {label(trail)} is validated and encrypted with {trail.key_id or 'a CMK'}",
                key_id=trail.key_id,
                **evidence,
            )


CONFIG_RECORDER = "security_service:config_recorder"


@check(
    id="any.config_history.recording",
    title="Configuration history is recorded for all resources in every region",
    severity=Severity.MEDIUM,
    controls=("CLD.12.4.5", "CLD.13.1.4"),
    providers=(*PROVIDERS, "azure", "gcp"),
    needs=(CONFIG_RECORDER, "security_service:asset_inventory"),
    rationale=(
        "A configuration history shows what the virtual network and machines looked like at "
        "any moment; without it changes cannot be reviewed against the network policy."
    ),
    remediation={
        "aws": (
            "In each region: `aws configservice put-configuration-recorder "
            "--configuration-recorder name=default,roleARN=... --recording-group "
            "allSupported=true` then `aws configservice start-configuration-recorder "
            "--configuration-recorder-name default` (a delivery channel is required)."
        ),
        "azure": (
            "Assign the Microsoft cloud security benchmark initiative to the subscription "
            "with enforcement on: `az policy assignment create --name SecurityCenterBuiltIn "
            "--display-name 'ASC Default' --policy-set-definition "
            "1f3afdf9-d0c9-4c3d-847f-89da613e70a8 --scope /subscriptions/<id> "
            "--enforcement-mode Default`, or switch an existing assignment's enforcement on: "
            "`az policy assignment update --name <name> --scope /subscriptions/<id> "
            "--enforcement-mode Default`."
        ),
        "gcp": (
            "Enable Cloud Asset Inventory in the project, which then keeps the configuration "
            "history of every supported resource: `gcloud services enable "
            "cloudasset.googleapis.com --project <project>`."
        ),
    },
    references=(
        "CIS AWS 3.0 3.3",
        "CIS AWS 4.0 3.3",
        "CIS GCP 2.0 2.13",
        "CIS GCP 3.0 2.13",
        "prowler:config_recorder_all_regions_enabled",
        "prowler:iam_cloud_asset_inventory_enabled",
        "CIS Azure 2.1 2.1.13",
        "CIS Azure 3.0 3.1.11",
        "prowler:policy_ensure_asc_enforcement_enabled",
    ),
)
def config_history_recording(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    yield from judge_project_service(inv, ASSET_INVENTORY)
    yield from judge_policy_benchmark(inv)
    services = [
        s
        for s in of_providers(inv, SecurityService, PROVIDERS)
        if s.service_kind == "config_recorder"
    ]
    for scope, region in scanned_regions(inv, PROVIDERS):
        ref = scope.region_ref(region)
        mine = [s for s in services if in_scope(s, scope, region)]
        states = [(s.enabled, s.all_resources) for s in mine]
        evidence: dict[str, Any] = {
            "recorders": {
                s.id: {"enabled": s.enabled, "all_resources": s.all_resources} for s in mine
            }
        }
        where = f"{scope.account}/{region}"
        if (True, True) in states:
            yield Result.passed(
                ref, f"configuration is recorded for all resources in {where}", **evidence
            )
        elif any(e is not False and a is not False for e, a in states):
            yield Result.error(
                ref, f"{where}: the configuration recorder's state was not reported", **evidence
            )
        elif unseen(inv, scope.provider, scope.account, region, (CONFIG_RECORDER,)):
            continue
        elif not mine:
            yield Result.failed(ref, f"no configuration recorder in {where}", **evidence)
        else:
            yield Result.failed(
                ref,
                f"the configuration recorder in {where} is stopped or records only some resources",
                **evidence,
            )
