"""A few resources of every kind the AWS collector reads, seeded with plain boto3."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3

from fixtures.aws.cis_alarms import CIS_PATTERNS
from scanner import events

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role"
ADMIN_DOCUMENT = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'
)
SG_PATTERN = CIS_PATTERNS[events.SECURITY_GROUP_CHANGE][1]


@dataclass
class Seeded:
    vpc: str
    subnet: str
    group: str
    instance: str
    volume: str
    snapshot: str
    image: str
    peering: str
    access_key: str


def seed_account(region: str = "us-east-1") -> Seeded:
    ec2: Any = boto3.client("ec2", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    other = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    peering = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=other)["VpcPeeringConnection"][
        "VpcPeeringConnectionId"
    ]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    instance = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet,
        SecurityGroupIds=[group],
        MetadataOptions={"HttpTokens": "required"},
    )["Instances"][0]["InstanceId"]
    image = ec2.create_image(InstanceId=instance, Name="golden")["ImageId"]
    volume = ec2.create_volume(AvailabilityZone=f"{region}a", Size=8, Encrypted=True)["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    ec2.modify_snapshot_attribute(
        SnapshotId=snapshot,
        Attribute="createVolumePermission",
        OperationType="add",
        GroupNames=["all"],
    )
    ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogGroupName="flow",
        DeliverLogsPermissionArn=ROLE,
    )
    ec2.enable_ebs_encryption_by_default()

    boto3.client("s3", region_name=region).create_bucket(Bucket="audit-trail")
    trail: Any = boto3.client("cloudtrail", region_name=region)
    trail.create_trail(
        Name="main-trail",
        S3BucketName="audit-trail",
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:{region}:{ACCOUNT}:log-group:trail:*",
        CloudWatchLogsRoleArn=ROLE,
    )
    trail.start_logging(Name="main-trail")
    trail.put_event_selectors(
        TrailName="main-trail",
        EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}],
    )
    logs: Any = boto3.client("logs", region_name=region)
    logs.create_log_group(logGroupName="trail")
    logs.put_metric_filter(
        logGroupName="trail",
        filterName="sg-changes",
        filterPattern=SG_PATTERN,
        metricTransformations=[
            {"metricName": "SgChanges", "metricNamespace": "CIS", "metricValue": "1"}
        ],
    )
    sns: Any = boto3.client("sns", region_name=region)
    topic = sns.create_topic(Name="security")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="sec@example.com")
    boto3.client("cloudwatch", region_name=region).put_metric_alarm(
        AlarmName="sg-changes",
        MetricName="SgChanges",
        Namespace="CIS",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[topic],
    )
    boto3.client("guardduty", region_name=region).create_detector(Enable=True)
    config: Any = boto3.client("config", region_name=region)
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": ROLE,
            "recordingGroup": {"allSupported": True},
        }
    )

    iam: Any = boto3.client("iam", region_name=region)
    iam.create_user(UserName="alice")
    iam.create_group(GroupName="admins")
    iam.add_user_to_group(GroupName="admins", UserName="alice")
    admin = iam.create_policy(PolicyName="Admin", PolicyDocument=ADMIN_DOCUMENT)["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="admins", PolicyArn=admin)
    iam.create_login_profile(UserName="alice", Password="Corr3ct-Horse!")
    key = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    iam.create_role(RoleName="app", AssumeRolePolicyDocument='{"Statement": []}')
    iam.update_account_password_policy(MinimumPasswordLength=14)
    return Seeded(vpc, subnet, group, instance, volume, snapshot, image, peering, key)
