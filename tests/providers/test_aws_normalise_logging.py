"""CloudTrail, metric-filter alert, GuardDuty/Config and region settings normalisers."""

from __future__ import annotations

import pytest

from checks.alerts import NETWORK_EVENTS, PRIVILEGED_EVENTS
from fixtures.aws.cis_alarms import CIS_PATTERNS
from providers.aws.arns import Ctx
from providers.aws.normalise import alerts, detection, trails
from scanner import events

CTX = Ctx("111122223333", "us-east-1")

TRAIL = {
    "Name": "org",
    "TrailARN": "arn:aws:cloudtrail:us-east-1:111122223333:trail/org",
    "HomeRegion": "us-east-1",
    "S3BucketName": "trail-bucket",
    "IsMultiRegionTrail": True,
    "IsOrganizationTrail": False,
    "LogFileValidationEnabled": True,
    "KmsKeyId": "arn:aws:kms:us-east-1:111122223333:key/k",
    "CloudWatchLogsLogGroupArn": "arn:aws:logs:us-east-1:111122223333:log-group:ct:*",
}


def test_trail_with_basic_selectors() -> None:
    selectors = {
        "EventSelectors": [
            {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True, "DataResources": []}
        ]
    }
    trail = trails.trail(TRAIL, CTX, {"IsLogging": True}, selectors)
    assert trail.id == TRAIL["TrailARN"] and trail.all_regions and trail.logging
    assert (trail.mgmt_read, trail.mgmt_write, trail.data_events) == (False, True, False)
    assert trail.validated and trail.encrypted_cmk and trail.store_id == "trail-bucket"
    assert trail.log_group_id == "arn:aws:logs:us-east-1:111122223333:log-group:ct"


def test_trail_unknowns() -> None:
    trail = trails.trail({**TRAIL, "KmsKeyId": None}, CTX, None, None)
    assert trail.logging is None and trail.mgmt_read is None and trail.mgmt_write is None
    assert trail.encrypted_cmk is False
    # Selectors without a DataResources key (moto) leave data events unknown.
    read, write, data = trails.event_coverage({"EventSelectors": [{"ReadWriteType": "All"}]})
    assert (read, write, data) == (True, True, None)


def test_advanced_selectors() -> None:
    selectors = {
        "AdvancedEventSelectors": [
            {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
            {
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                ]
            },
        ]
    }
    assert trails.event_coverage(selectors) == (True, True, True)
    read_only = {
        "AdvancedEventSelectors": [
            {
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Management"]},
                    {"Field": "readOnly", "Equals": ["true"]},
                ]
            }
        ]
    }
    assert trails.event_coverage(read_only) == (True, False, False)


def _advanced(*fields: dict[str, object]) -> dict[str, object]:
    return {"AdvancedEventSelectors": [{"FieldSelectors": list(fields)}]}


MANAGEMENT = {"Field": "eventCategory", "Equals": ["Management"]}


def test_advanced_read_only_not_equals() -> None:
    write_only = _advanced(MANAGEMENT, {"Field": "readOnly", "NotEquals": ["true"]})
    assert trails.event_coverage(write_only) == (False, True, False)
    read_only = _advanced(MANAGEMENT, {"Field": "readOnly", "NotEquals": ["false"]})
    assert trails.event_coverage(read_only) == (True, False, False)
    both = _advanced(MANAGEMENT, {"Field": "readOnly", "Equals": ["true", "false"]})
    assert trails.event_coverage(both) == (True, True, False)


def test_excluded_management_sources_are_not_complete() -> None:
    # CIS 3.1 wants every management event: excluding even one source does not count.
    classic = {
        "EventSelectors": [
            {
                "ReadWriteType": "All",
                "IncludeManagementEvents": True,
                "ExcludeManagementEventSources": ["kms.amazonaws.com"],
                "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
            }
        ]
    }
    assert trails.event_coverage(classic) == (False, False, True)
    for operator in ("NotEquals", "NotStartsWith"):
        advanced = _advanced(
            MANAGEMENT, {"Field": "eventSource", operator: ["rdsdata.amazonaws.com"]}
        )
        assert trails.event_coverage(advanced) == (False, False, False), operator
    none_excluded = {**classic["EventSelectors"][0], "ExcludeManagementEventSources": []}
    assert trails.event_coverage({"EventSelectors": [none_excluded]}) == (True, True, True)
    # A second selector without exclusions still makes the trail complete.
    plain = {"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}
    two = {"EventSelectors": [*classic["EventSelectors"], plain]}
    assert trails.event_coverage(two) == (True, True, True)


CIS = [
    (
        '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
        events.UNAUTHORIZED_API_CALL,
    ),
    (
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }',
        events.CONSOLE_LOGIN_WITHOUT_MFA,
    ),
    (
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
        '$.eventType != "AwsServiceEvent" }',
        events.ROOT_USAGE,
    ),
    (
        "{($.eventName=CreateTrail)||($.eventName=UpdateTrail)||($.eventName=DeleteTrail)||"
        "($.eventName=StartLogging)||($.eventName=StopLogging)}",
        events.AUDIT_CONFIG_CHANGE,
    ),
    (
        '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
        events.CONSOLE_AUTH_FAILURE,
    ),
    (
        "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || "
        "($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || "
        "($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }",
        events.NACL_CHANGE,
    ),
]


@pytest.mark.parametrize(("pattern", "expected"), CIS)
def test_cis_patterns_classify(pattern: str, expected: str) -> None:
    assert alerts.classify_pattern(pattern) == (expected,)


def test_seeded_cis_patterns_cover_every_required_class() -> None:
    """The scenarios' seed patterns (fixtures) against the classifier; the literal cases
    above stay the classifier's own evidence."""
    assert set(CIS_PATTERNS) == {*PRIVILEGED_EVENTS, *NETWORK_EVENTS}
    for event_class, (_, pattern) in CIS_PATTERNS.items():
        assert alerts.classify_pattern(pattern) == (event_class,), event_class


def test_classification_is_strict_about_event_names() -> None:
    partial = "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) }"
    assert alerts.classify_pattern(partial) == ()
    reordered = " || ".join(
        f"($.eventName = {n})"
        for n in ("StopLogging", "StartLogging", "DeleteTrail", "UpdateTrail", "CreateTrail")
    )
    assert alerts.classify_pattern("{" + reordered + "}") == (events.AUDIT_CONFIG_CHANGE,)


def test_alert_rule_chain() -> None:
    filters = [
        {
            "filterName": "root",
            "logGroupName": "ct",
            "filterPattern": CIS[2][0],
            "metricTransformations": [{"metricName": "Root", "metricNamespace": "CIS"}],
        }
    ]
    topic = "arn:aws:sns:us-east-1:111122223333:sec"
    alarms = [
        {"MetricName": "Root", "Namespace": "CIS", "ActionsEnabled": True, "AlarmActions": [topic]}
    ]
    subs = [{"TopicArn": topic, "SubscriptionArn": "PendingConfirmation"}]
    (rule,) = alerts.alert_rules(filters, alarms, alerts.confirmed_topics(subs), CTX)
    assert rule.id == "arn:aws:logs:us-east-1:111122223333:log-group:ct:metric-filter/root"
    assert rule.source_id == "arn:aws:logs:us-east-1:111122223333:log-group:ct"
    assert rule.event_classes == (events.ROOT_USAGE,)
    assert rule.enabled is True and rule.targets == (topic,) and rule.target_verified is False
    confirmed = alerts.confirmed_topics([{"TopicArn": topic, "SubscriptionArn": topic + ":abc"}])
    assert alerts.alert_rules(filters, alarms, confirmed, CTX)[0].target_verified is True
    (unknown,) = alerts.alert_rules(filters, None, None, CTX)
    assert unknown.enabled is None and unknown.target_verified is None
    muted = [{**alarms[0], "ActionsEnabled": False}]
    assert alerts.alert_rules(filters, muted, confirmed, CTX)[0].enabled is False


def test_detectors_recorders_and_region_settings() -> None:
    det = detection.detector(
        "abc",
        {"Status": "ENABLED", "Features": [{"Name": "S3_DATA_EVENTS", "Status": "ENABLED"}]},
        CTX,
    )
    assert det.id == "arn:aws:guardduty:us-east-1:111122223333:detector/abc"
    assert det.enabled and det.features == {"S3_DATA_EVENTS": "ENABLED"}
    recorders = [{"name": "default", "recordingGroup": {"allSupported": True}}]
    (rec,) = detection.config_recorders(recorders, [{"name": "default", "recording": True}], CTX)
    assert rec.service_kind == "config_recorder" and rec.enabled and rec.all_resources
    assert detection.config_recorders(recorders, None, CTX)[0].enabled is None
    settings = detection.region_settings(CTX, True, None, None)
    assert settings.id == "aws:111122223333:us-east-1"
    assert settings.disk_encryption_by_default and settings.serial_console_access is None


AUDIT_NAMES = ("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging")


def test_and_of_two_event_names_covers_neither() -> None:
    """``eventName = A && eventName = B`` can never match: neither name counts."""
    dead = "{ ($.eventName = ConsoleLogin) && ($.eventName = CreateTrail) }"
    assert alerts.classify_pattern(dead) == ()
    failed = (
        '{ ($.eventName = ConsoleLogin) && ($.eventName = "GetSessionToken") && '
        '($.errorMessage = "Failed authentication") }'
    )
    assert alerts.classify_pattern(failed) == ()
    # One dead alternative among OR-ed live ones loses only its own names.
    live = " || ".join(f"($.eventName = {n})" for n in AUDIT_NAMES[:-1])
    killed = "{ " + live + " || (($.eventName = StopLogging) && ($.eventName = CreateVpc)) }"
    assert alerts.classify_pattern(killed) == ()
    kept = "{ " + live + " || (($.eventName = StopLogging) && ($.eventName = StopLogging)) }"
    assert alerts.classify_pattern(kept) == (events.AUDIT_CONFIG_CHANGE,)


def test_and_with_other_fields_keeps_the_event_names() -> None:
    """A non-eventName conjunct narrows the match but every OR-ed name stays reachable."""
    names = " || ".join(f'($.eventName = "{n}")' for n in AUDIT_NAMES)
    scoped = '{ ($.eventSource = "cloudtrail.amazonaws.com") && (' + names + ") }"
    assert alerts.classify_pattern(scoped) == (events.AUDIT_CONFIG_CHANGE,)
    # The name-killing AND nested under a non-name conjunct still kills.
    nested = '{ ($.userIdentity.type = "Root") && (' + names + ") && ($.eventName = CreateVpc) }"
    assert alerts.classify_pattern(nested) == ()
    # An OR-ed alternative without an eventName equality adds no names.
    loose = "{ ($.eventName = CreateTrail) || ($.sourceIPAddress = 10.0.0.1) }"
    assert alerts.classify_pattern(loose) == ()
