"""Audit trails, alert chains, threat detection and configuration history."""

from __future__ import annotations

import dataclasses

import pytest

from scanner.inventory import AuditTrail, ScanScope, SecurityService
from scanner.registry import load_checks
from scanner.results import Severity, Status
from tests.checks.builders import ACCOUNT, OTHER_REGION, REGION, ROOT_ARN, make, only, run, statuses
from tests.checks.cases import LOGGING_TRAIL, NETWORK, PRIVILEGED, alert

PRIV = "any.alert.privileged_or_auth_event"
NET = "any.alert.network_change"
COMPLETE = "any.audit_trail.complete"
TAMPER = "any.audit_trail.tamper_resistant"
THREAT = "any.detector.threat_detection"
CONFIG = "any.config_history.recording"

TRAIL = LOGGING_TRAIL.id
TWO = ScanScope("aws", ACCOUNT, ROOT_ARN, regions=(REGION, OTHER_REGION))


def trail(**kw: object) -> AuditTrail:
    return dataclasses.replace(LOGGING_TRAIL, **kw)  # type: ignore[arg-type]


# --- alerts -------------------------------------------------------------------------------

# CIS AWS Foundations 3.0 section 4 items and the event class each one watches, written
# from the benchmark rather than from checks.alerts.
CIS_AWS_4 = {
    "4.1": "unauthorized_api_call",
    "4.2": "console_login_without_mfa",
    "4.3": "root_usage",
    "4.4": "iam_policy_change",
    "4.5": "audit_config_change",
    "4.6": "console_auth_failure",
    "4.10": "security_group_change",
    "4.11": "nacl_change",
    "4.12": "network_gateway_change",
    "4.13": "route_table_change",
    "4.14": "vpc_change",
    "4.15": "org_change",
}


@pytest.mark.parametrize(("check_id", "required"), [(PRIV, PRIVILEGED), (NET, NETWORK)])
def test_required_classes_are_those_of_the_cited_cis_items(
    check_id: str, required: tuple[str, ...]
) -> None:
    prefix = "CIS AWS 3.0 "
    cited = [r.removeprefix(prefix) for r in load_checks()[check_id].references if prefix in r]
    assert sorted(required) == sorted(CIS_AWS_4[item] for item in cited)
    assert len(set(required)) == len(required)


def test_no_alerts_fails_listing_every_missing_class() -> None:
    f = only(run(PRIV, LOGGING_TRAIL), ROOT_ARN)
    assert f.status is Status.FAIL and f.severity is Severity.MEDIUM
    assert f.evidence["missing"] == sorted(PRIVILEGED)
    assert "root_usage" in f.message


def test_partial_coverage_lists_exactly_the_missing_classes() -> None:
    covered = PRIVILEGED[:-1]
    f = only(run(PRIV, LOGGING_TRAIL, alert(covered)), ROOT_ARN)
    assert f.status is Status.FAIL and f.evidence["missing"] == [PRIVILEGED[-1]]
    assert sorted(f.evidence["covered"]) == sorted(covered)


def test_split_rules_together_cover_everything() -> None:
    rules = [alert((c,), name=c) for c in NETWORK]
    f = only(run(NET, LOGGING_TRAIL, *rules), ROOT_ARN)
    assert f.status is Status.PASS and f.evidence["targets_verified"] is True


def test_broken_chains_do_not_count() -> None:
    broken = {
        "source not a trail's log group": (LOGGING_TRAIL, alert(NETWORK, source_id="other")),
        "trail single-region": (trail(all_regions=False), alert(NETWORK)),
        "trail not logging": (trail(logging=False), alert(NETWORK)),
        "rule disabled": (LOGGING_TRAIL, alert(NETWORK, enabled=False)),
        "no target": (LOGGING_TRAIL, alert(NETWORK, targets=())),
        "no trail": (alert(NETWORK),),
    }
    for why, entities in broken.items():
        assert statuses(run(NET, *entities)) == {ROOT_ARN: Status.FAIL}, why


def test_unreported_trail_or_rule_state_is_error() -> None:
    assert statuses(run(NET, trail(logging=None), alert(NETWORK))) == {ROOT_ARN: Status.ERROR}
    assert statuses(run(NET, LOGGING_TRAIL, alert(NETWORK, enabled=None))) == {
        ROOT_ARN: Status.ERROR
    }


def test_unconfirmed_recipient_fails_and_says_so() -> None:
    """CIS 4.x audit: the topic needs a confirmed subscriber, or nobody is alerted."""
    f = only(run(NET, LOGGING_TRAIL, alert(NETWORK, target_verified=False)), ROOT_ARN)
    assert f.status is Status.FAIL and f.evidence["targets_verified"] is False
    assert "no confirmed subscriber" in f.message
    assert f.evidence["no_confirmed_subscriber"] == sorted(NETWORK)


def test_unreported_subscriber_is_error_only_when_it_decides() -> None:
    f = only(run(NET, LOGGING_TRAIL, alert(NETWORK, target_verified=None)), ROOT_ARN)
    assert f.status is Status.ERROR and f.evidence["uncertain"] == sorted(NETWORK)
    confirmed = alert(NETWORK, name="ok")
    unknown = alert(NETWORK, name="unknown", target_verified=None)
    assert statuses(run(NET, LOGGING_TRAIL, confirmed, unknown)) == {ROOT_ARN: Status.PASS}
    f = only(run(NET, LOGGING_TRAIL, alert(NETWORK[1:], target_verified=None)), ROOT_ARN)
    assert f.status is Status.FAIL and f.evidence["missing"] == sorted(NETWORK)


def test_trail_without_management_events_does_not_feed_alerts() -> None:
    for field in ("mgmt_read", "mgmt_write"):
        f = only(run(NET, trail(**{field: False}), alert(NETWORK)), ROOT_ARN)
        assert f.status is Status.FAIL, field
        assert (
            f.evidence["trails_excluded"] == [TRAIL] and f.evidence["trails_feeding_alerts"] == []
        )
        f = only(run(NET, trail(**{field: None}), alert(NETWORK)), ROOT_ARN)
        assert f.status is Status.ERROR, field
        assert f.evidence["trails_unreported"] == [TRAIL]


def test_pass_names_the_trails_and_rules_that_count() -> None:
    f = only(run(PRIV, LOGGING_TRAIL, alert(PRIVILEGED)), ROOT_ARN)
    assert f.status is Status.PASS and "confirmed subscriber" in f.message
    assert f.evidence["trails_feeding_alerts"] == [TRAIL]
    assert f.evidence["rules"] == [alert(PRIVILEGED).id] and f.evidence["targets_verified"] is True


def test_alert_checks_share_rules_but_not_classes() -> None:
    both = alert(PRIVILEGED + NETWORK)
    assert statuses(run(PRIV, LOGGING_TRAIL, both)) == {ROOT_ARN: Status.PASS}
    assert statuses(run(NET, LOGGING_TRAIL, alert(PRIVILEGED))) == {ROOT_ARN: Status.FAIL}


# --- audit trail ----------------------------------------------------------------------------


def test_no_trail_fails_on_the_account() -> None:
    f = only(run(COMPLETE), ROOT_ARN)
    assert f.status is Status.FAIL and f.severity is Severity.CRITICAL


def test_incomplete_trail_fails_saying_what_it_lacks() -> None:
    f = only(run(COMPLETE, trail(all_regions=False, mgmt_read=False)), ROOT_ARN)
    assert f.status is Status.FAIL
    assert "not multi-region" in f.message and "read management events" in f.message


def test_unreported_logging_is_error_unless_another_trail_is_complete() -> None:
    unknown = trail(logging=None)
    assert statuses(run(COMPLETE, unknown)) == {ROOT_ARN: Status.ERROR}
    other = make(
        AuditTrail,
        "arn:aws:cloudtrail:eu-west-1:111122223333:trail/b",
        all_regions=True,
        logging=True,
        mgmt_read=True,
        mgmt_write=True,
    )
    assert statuses(run(COMPLETE, unknown, other)) == {ROOT_ARN: Status.PASS}


def test_tamper_resistance_names_what_is_missing() -> None:
    f = only(run(TAMPER, trail(validated=False, encrypted_cmk=False)), TRAIL)
    assert f.status is Status.FAIL
    assert "validation is off" in f.message and "customer-managed key" in f.message
    assert statuses(run(TAMPER, trail(encrypted_cmk=False))) == {TRAIL: Status.FAIL}
    assert statuses(run(TAMPER, trail(validated=None))) == {TRAIL: Status.ERROR}
    assert statuses(run(TAMPER, trail(encrypted_cmk=None))) == {TRAIL: Status.ERROR}


# --- detection and configuration history -------------------------------------------------------


def _service(kind: str, region: str = REGION, **kw: object) -> SecurityService:
    return make(
        SecurityService,
        f"arn:aws:{kind}:{region}:{ACCOUNT}:x/1",
        region=region,
        service_kind=kind,
        **kw,
    )  # type: ignore[arg-type]


def test_detector_missing_in_one_region_fails_there() -> None:
    findings = run(THREAT, _service("threat_detection", enabled=True), scopes=(TWO,))
    assert {f.resource.region: f.status for f in findings} == {
        REGION: Status.PASS,
        OTHER_REGION: Status.FAIL,
    }


def test_suspended_detector_fails_and_unknown_status_is_error() -> None:
    assert {f.status for f in run(THREAT, _service("threat_detection", enabled=False))} == {
        Status.FAIL
    }
    assert {f.status for f in run(THREAT, _service("threat_detection"))} == {Status.ERROR}


def test_config_recorder_must_record_everything() -> None:
    partial = _service("config_recorder", enabled=True, all_resources=False)
    assert {f.status for f in run(CONFIG, partial)} == {Status.FAIL}
    assert {f.status for f in run(CONFIG)} == {Status.FAIL}
    unknown = _service("config_recorder", enabled=None, all_resources=True)
    assert {f.status for f in run(CONFIG, unknown)} == {Status.ERROR}


def test_a_detector_does_not_count_as_a_recorder() -> None:
    assert {f.status for f in run(CONFIG, _service("threat_detection", enabled=True))} == {
        Status.FAIL
    }
