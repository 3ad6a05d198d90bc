"""any.audit_trail.tamper_resistant on GCP: storage sinks write into locked buckets."""

from __future__ import annotations

from dataclasses import replace

from scanner.inventory import GLOBAL, AuditTrail, Gap, GapReason
from scanner.results import Status
from tests.checks.builders import only
from tests.checks.gcp_builders import PROJECT, gap, make, run

CHECK = "any.audit_trail.tamper_resistant"


def sink(name: str, destination: str, immutable: bool | None) -> AuditTrail:
    return make(
        AuditTrail,
        f"projects/{PROJECT}/sinks/{name}",
        store_id=destination,
        filter_expr="",
        logging=True,
        all_regions=True,
        immutable=immutable,
    )


def verdict(trail: AuditTrail) -> tuple[Status, str]:
    f = only(run(CHECK, trail), trail.id)
    return f.status, f.message


def test_locked_bucket_passes() -> None:
    status, message = verdict(sink("all", "storage.googleapis.com/acme-logs", True))
    assert status is Status.PASS and "acme-logs" in message


def test_unlocked_bucket_fails() -> None:
    status, message = verdict(sink("all", "storage.googleapis.com/acme-logs", False))
    assert status is Status.FAIL and "no locked retention policy" in message


def test_unread_bucket_is_error() -> None:
    status, message = verdict(sink("all", "storage.googleapis.com/acme-logs", None))
    assert status is Status.ERROR and "not reported" in message


def test_unread_bucket_behind_a_gap_is_only_the_gap_error() -> None:
    trail = sink("all", "storage.googleapis.com/acme-logs", None)
    findings = run(CHECK, trail, gaps=(gap(("audit_trail",)),))
    assert {f.status for f in findings} == {Status.ERROR}
    assert all("access_denied" in f.message for f in findings)


def test_other_destinations_and_audit_configs_are_not_judged() -> None:
    others = (
        sink("bq", "bigquery.googleapis.com/projects/p/datasets/logs", None),
        sink("ps", "pubsub.googleapis.com/projects/p/topics/logs", None),
        sink("lb", f"logging.googleapis.com/projects/{PROJECT}/locations/global/buckets/b", None),
        make(
            AuditTrail,
            f"//cloudresourcemanager.googleapis.com/projects/{PROJECT}/auditConfigs",
            mgmt_write=True,
            logging=True,
        ),
    )
    assert run(CHECK, *others) == []


def test_unreadable_bucket_is_tamper_error_only_and_trail_complete_still_passes() -> None:
    """An unreadable sink bucket (gap kind log_bucket, as the provider records it) is an
    ERROR for that sink in the tamper check and withdraws nothing else."""
    bucket_gap = Gap(
        "gcp",
        PROJECT,
        GLOBAL,
        "storage.buckets.get",
        ("log_bucket",),
        GapReason.ACCESS_DENIED,
        "403 central-logs",
    )
    trail = sink("all", "storage.googleapis.com/central-logs", None)
    found = only(run(CHECK, trail, gaps=(bucket_gap,)), trail.id)
    assert found.status is Status.ERROR
    assert "storage.buckets.get: access_denied" in found.message
    audit_configs = make(
        AuditTrail,
        f"//cloudresourcemanager.googleapis.com/projects/{PROJECT}/auditConfigs",
        mgmt_write=True,
        mgmt_read=True,
        data_events=True,
        logging=True,
        all_regions=True,
    )
    complete = run("any.audit_trail.complete", audit_configs, trail, gaps=(bucket_gap,))
    assert complete and {f.status for f in complete} == {Status.PASS}


def test_disabled_sink_gets_no_result() -> None:
    off = replace(sink("off", "storage.googleapis.com/acme-locked", True), logging=False)
    assert run(CHECK, off) == []
    unlocked_off = replace(sink("x", "storage.googleapis.com/acme-open", False), logging=False)
    assert run(CHECK, unlocked_off) == []
    on = sink("on", "storage.googleapis.com/acme-locked", True)
    assert [f.status for f in run(CHECK, off, on)] == [Status.PASS]
