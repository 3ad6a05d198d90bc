"""ARNs in the caller's partition (aws-us-gov here): ids, and trail/alert log groups agree."""

from __future__ import annotations

import pytest

from checks.alerts import coverage
from fixtures.aws.cis_alarms import CIS_PATTERNS
from providers.aws.arns import Ctx, partition_of
from providers.aws.normalise import alerts, detection, iam, network, trails
from scanner import events
from scanner.inventory import GLOBAL, Inventory, ScanScope

ACCOUNT = "111122223333"
GOV = Ctx(ACCOUNT, "us-gov-west-1", "aws-us-gov")
TOPIC = f"arn:aws-us-gov:sns:us-gov-west-1:{ACCOUNT}:sec"


def test_partition_of_caller_arn() -> None:
    assert partition_of(f"arn:aws-us-gov:sts::{ACCOUNT}:assumed-role/r/s") == "aws-us-gov"
    assert partition_of(f"arn:aws-cn:iam::{ACCOUNT}:user/u") == "aws-cn"
    with pytest.raises(ValueError):
        partition_of("")


def test_ids_carry_the_partition() -> None:
    assert GOV.ec2("vpc", "vpc-1") == f"arn:aws-us-gov:ec2:us-gov-west-1:{ACCOUNT}:vpc/vpc-1"
    assert GOV.image("ami-1") == "arn:aws-us-gov:ec2:us-gov-west-1::image/ami-1"
    assert GOV.snapshot("snap-1") == "arn:aws-us-gov:ec2:us-gov-west-1::snapshot/snap-1"
    assert GOV.root == f"arn:aws-us-gov:iam::{ACCOUNT}:root"
    assert GOV.iam("user/u") == f"arn:aws-us-gov:iam::{ACCOUNT}:user/u"
    det = detection.detector("abc", {"Status": "ENABLED"}, GOV)
    assert det.id == f"arn:aws-us-gov:guardduty:us-gov-west-1:{ACCOUNT}:detector/abc"
    (rec,) = detection.config_recorders([{"name": "default"}], None, GOV)
    assert rec.id.startswith("arn:aws-us-gov:config:us-gov-west-1:")
    assert iam.root_from_summary({"AccountMFAEnabled": 1}, GOV, None).id == GOV.root
    peer = network.peering(
        {
            "VpcPeeringConnectionId": "pcx-1",
            "RequesterVpcInfo": {"OwnerId": ACCOUNT, "Region": "us-gov-west-1", "VpcId": "vpc-1"},
            "AccepterVpcInfo": {
                "OwnerId": "444455556666",
                "Region": "us-gov-east-1",
                "VpcId": "vpc-2",
            },
        },
        GOV,
    )
    assert peer.id == f"arn:aws-us-gov:ec2:us-gov-west-1:{ACCOUNT}:vpc-peering-connection/pcx-1"
    assert peer.peer_network_id == "arn:aws-us-gov:ec2:us-gov-east-1:444455556666:vpc/vpc-2"


def test_alert_rule_matches_the_trail_log_group_in_its_partition() -> None:
    _, pattern = CIS_PATTERNS[events.ROOT_USAGE]
    trail = trails.trail(
        {
            "Name": "main",
            "TrailARN": f"arn:aws-us-gov:cloudtrail:us-gov-west-1:{ACCOUNT}:trail/main",
            "IsMultiRegionTrail": True,
            "CloudWatchLogsLogGroupArn": (
                f"arn:aws-us-gov:logs:us-gov-west-1:{ACCOUNT}:log-group:ct:*"
            ),
        },
        GOV,
        {"IsLogging": True},
        {"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]},
    )
    filters = [
        {
            "filterName": "root",
            "logGroupName": "ct",
            "filterPattern": pattern,
            "metricTransformations": [{"metricName": "Root", "metricNamespace": "CIS"}],
        }
    ]
    alarms = [{"MetricName": "Root", "Namespace": "CIS", "AlarmActions": [TOPIC]}]
    subs = [{"TopicArn": TOPIC, "SubscriptionArn": TOPIC + ":abc"}]
    (rule,) = alerts.alert_rules(filters, alarms, alerts.confirmed_topics(subs), GOV)
    assert rule.id.startswith("arn:aws-us-gov:logs:us-gov-west-1:")
    assert rule.source_id == trail.log_group_id
    scope = ScanScope(
        "aws", ACCOUNT, Ctx(ACCOUNT, GLOBAL, "aws-us-gov").root, regions=("us-gov-west-1",)
    )
    inv = Inventory(entities=(trail, rule), gaps=(), scopes=(scope,))
    assert coverage(inv, scope).covered == {events.ROOT_USAGE}
