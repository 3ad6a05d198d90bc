"""Pure normalisers: Google JSON in, entities out (no server)."""

from __future__ import annotations

from datetime import UTC, datetime

from providers.gcp.normalise import compute, firewall, iam, logging, network
from providers.gcp.normalise.common import Ctx, parse_time, project_of, region_of_zone
from scanner import events
from scanner.inventory import ALL_PORTS, PortRange

CTX = Ctx("p1")
C = "https://www.googleapis.com/compute/v1/projects/p1"


def _instance(**extra: object) -> dict[str, object]:
    return {
        "selfLink": f"{C}/zones/us-east1-b/instances/vm",
        "name": "vm",
        "zone": f"{C}/zones/us-east1-b",
        "status": "TERMINATED",
        "networkInterfaces": [
            {
                "network": f"{C}/global/networks/n",
                "subnetwork": f"{C}/regions/us-east1/subnetworks/s",
                "accessConfigs": [{"natIP": "34.1.1.1"}, {"name": "no ip"}],
                "ipv6AccessConfigs": [{"externalIpv6": "2600:1900::1"}],
            },
            {"network": f"{C}/global/networks/m"},
        ],
        **extra,
    }


def test_instance_fields_and_proto3_presence() -> None:
    vm = compute.instance(CTX, _instance(), {})
    assert vm.region == "us-east1" and vm.state == "terminated"
    assert vm.public_ips == ("34.1.1.1", "2600:1900::1")
    assert vm.firewall_set_ids == (
        f"{C}/global/networks/n/firewalls",
        f"{C}/global/networks/m/firewalls",
    )
    # No shieldedInstanceConfig: unknown, never False.
    assert (vm.secure_boot, vm.vtpm, vm.integrity_monitoring) == (None, None, None)
    assert vm.identity_ref is None and vm.identity_scopes == ()
    assert vm.ip_forwarding is False  # documented default of canIpForward
    shielded = compute.instance(CTX, _instance(shieldedInstanceConfig={"enableVtpm": True}), {})
    assert (shielded.secure_boot, shielded.vtpm) == (False, True)


def test_login_flags_instance_overrides_project() -> None:
    project = {"enable-oslogin": "TRUE", "serial-port-enable": "true"}
    vm = compute.instance(
        CTX,
        _instance(metadata={"items": [{"key": "enable-oslogin", "value": "false"}]}),
        project,
    )
    assert vm.login.central_login is False and vm.login.serial_console is True
    assert vm.login.project_keys_blocked is False and vm.login.password_auth is None
    inherited = compute.instance(CTX, _instance(), project)
    assert inherited.login.central_login is True
    unset = compute.instance(CTX, _instance(), {})
    assert (unset.login.central_login, unset.login.serial_console) == (False, False)
    # Project metadata unread: only what the instance itself says is known.
    unread = compute.instance(
        CTX, _instance(metadata={"items": [{"key": "serial-port-enable", "value": "TRUE"}]}), None
    )
    assert (unread.login.central_login, unread.login.serial_console) == (None, True)


def test_disk_key_types() -> None:
    base = {
        "selfLink": f"{C}/zones/us-east1-b/disks/d",
        "zone": f"{C}/zones/us-east1-b",
        "sizeGb": "10",
    }
    assert compute.disk(CTX, base).key_type == "provider"
    cmek = compute.disk(CTX, {**base, "diskEncryptionKey": {"kmsKeyName": "k/1"}})
    assert (cmek.key_type, cmek.key_id, cmek.size_gb) == ("customer", "k/1", 10)
    csek = compute.disk(CTX, {**base, "diskEncryptionKey": {"sha256": "x"}})
    assert csek.key_type == "supplied" and csek.encrypted is True
    regional = compute.disk(CTX, {"selfLink": "x", "region": f"{C}/regions/asia-east1"})
    assert regional.region == "asia-east1"


def test_image_policy() -> None:
    item = {"selfLink": f"{C}/global/images/i", "name": "i"}
    policy = {"bindings": [{"role": "r", "members": ["allAuthenticatedUsers", "user:a@x"]}]}
    img = compute.image(CTX, item, policy)
    assert img.public is True and img.shared_with == ("user:a@x",)
    assert compute.image(CTX, item, {}).public is False
    assert compute.image(CTX, item, None).public is None
    assert compute.image(CTX, {**item, "deprecated": {"state": "OBSOLETE"}}, {}).deprecated


def test_firewall_rules() -> None:
    item = {
        "selfLink": f"{C}/global/firewalls/f",
        "name": "f",
        "network": f"{C}/global/networks/n",
        "direction": "INGRESS",
        "sourceRanges": ["::/0"],
        "sourceTags": ["a"],
        "targetServiceAccounts": ["sa@p1.iam.gserviceaccount.com"],
        "allowed": [{"IPProtocol": "tcp", "ports": ["22", "1000-2000"]}, {"IPProtocol": "6"}],
        "denied": [{"IPProtocol": "all"}],
        "disabled": True,
    }
    rules = firewall.firewall(CTX, item)
    assert [r.id.rsplit("/", 2)[-2:] for r in rules] == [
        ["allow", "0"],
        ["allow", "1"],
        ["deny", "0"],
    ]
    first = rules[0]
    assert first.ports == (PortRange(22, 22), PortRange(1000, 2000))
    assert first.sources == ("::/0", "tag:a") and first.source_is_world
    assert first.targets == ("serviceAccount:sa@p1.iam.gserviceaccount.com",)
    assert first.priority == 1000 and not first.enabled
    assert rules[1].protocol == "6" and rules[1].ports == (ALL_PORTS,)
    assert rules[2].action == "deny" and rules[2].set_id == f"{C}/global/networks/n/firewalls"
    egress = firewall.firewall(
        CTX, {**item, "direction": "EGRESS", "destinationRanges": ["0.0.0.0/0"], "disabled": False}
    )[0]
    assert egress.direction == "egress" and egress.sources == ("0.0.0.0/0",)
    assert not egress.source_is_world


def test_network_peering_and_implied_rules() -> None:
    link = f"{C}/global/networks/default"
    out = network.network(
        CTX,
        {
            "selfLink": link,
            "name": "default",
            "peerings": [
                {
                    "name": "x",
                    "network": "https://www.googleapis.com/compute/v1/projects/q/global/networks/y",
                    "state": "ACTIVE",
                    "importCustomRoutes": True,
                }
            ],
        },
    )
    kinds = [e.kind for e in out]
    assert kinds.count("firewall_rule") == 2 and "network_peering" in kinds
    net = out[0]
    assert net.is_default and not net.legacy  # type: ignore[attr-defined]
    peer = next(e for e in out if e.kind == "network_peering")
    assert peer.peer_account == "q" and peer.transit and peer.status == "active"  # type: ignore[attr-defined]
    legacy = network.network(CTX, {"selfLink": link, "name": "old", "IPv4Range": "10.0.0.0/16"})[0]
    assert legacy.legacy and legacy.cidrs == ("10.0.0.0/16",)  # type: ignore[attr-defined]


def test_subnet_flow_logs_default_off() -> None:
    base = {
        "selfLink": f"{C}/regions/r1/subnetworks/s",
        "region": f"{C}/regions/r1",
        "network": "n",
        "ipCidrRange": "10.0.0.0/24",
    }
    subnet, flow = network.subnet(CTX, base)
    assert subnet.purpose == "PRIVATE" and flow.enabled is False  # type: ignore[attr-defined]
    _, on = network.subnet(CTX, {**base, "logConfig": {"enable": True}})
    assert on.enabled is True and on.region == "r1"  # type: ignore[attr-defined]


def test_policy_bindings_principals_and_audit_config() -> None:
    out = iam.policy(
        CTX,
        {
            "bindings": [
                {"role": "roles/owner", "members": ["user:a@x.com", "allUsers"]},
                {
                    "role": "roles/compute.admin",
                    "members": ["serviceAccount:s@p1.iam.gserviceaccount.com"],
                },
                {"role": "roles/viewer", "members": ["domain:x.com"]},
            ],
            "auditConfigs": [
                {
                    "service": "allServices",
                    "auditLogConfigs": [
                        {"logType": "DATA_READ"},
                        {"logType": "DATA_WRITE", "exemptedMembers": ["user:a@x.com"]},
                    ],
                }
            ],
        },
    )
    bindings = [e for e in out if e.kind == "role_binding"]
    assert [(b.principal_type, b.admin_equivalent) for b in bindings] == [  # type: ignore[attr-defined]
        ("user", True),
        ("public", True),
        ("service_account", True),
        ("domain", False),
    ]
    kinds = {e.id: e.principal_kind for e in out if e.kind == "principal"}  # type: ignore[attr-defined]
    assert kinds["allUsers"] == "guest" and kinds["domain:x.com"] == "group"
    trail = next(e for e in out if e.kind == "audit_trail")
    assert trail.data_events is False and trail.mgmt_read is False  # type: ignore[attr-defined]
    assert trail.categories == ("DATA_READ", "DATA_WRITE")  # type: ignore[attr-defined]
    empty = iam.policy(CTX, {})[-1]
    assert empty.data_events is False and empty.mgmt_write is True  # type: ignore[attr-defined]


def test_sa_key_expiry() -> None:
    key = iam.sa_key(
        CTX,
        "pid",
        {
            "name": "projects/p1/serviceAccounts/s/keys/k",
            "validAfterTime": "2023-01-10T12:00:00Z",
            "validBeforeTime": "9999-12-31T23:59:59Z",
        },
    )
    assert key.expires_at is None and key.created_at == datetime(2023, 1, 10, 12, tzinfo=UTC)
    assert key.active is True and key.credential_kind == "sa_key"


def test_sinks_and_alert_rules() -> None:
    sink = logging.sink(CTX, {"name": "s", "destination": "storage.googleapis.com/b"})
    assert sink.filter_expr == "" and sink.logging is True
    metrics = [
        {"name": "fw", "filter": 'resource.type="gce_firewall_rule"'},
        {"name": "own", "filter": "(ProjectOwnership OR projectOwnerInvitee)"},
    ]
    policy = {
        "name": "projects/p1/alertPolicies/1",
        "enabled": True,
        "notificationChannels": ["projects/p1/notificationChannels/9"],
        "conditions": [
            {"conditionThreshold": {"filter": 'metric.type="logging.googleapis.com/user/fw"'}},
            {"conditionThreshold": {"filter": 'metric.type="logging.googleapis.com/user/missing"'}},
            {"name": "c3", "conditionMatchedLog": {"filter": "ProjectOwnership"}},
        ],
    }
    rules = logging.alert_rules(
        CTX, [policy], metrics, [{"name": "projects/p1/notificationChannels/9"}]
    )
    assert [r.event_classes for r in rules] == [
        (events.FIREWALL_RULE_CHANGE,),
        (events.OWNERSHIP_CHANGE,),
    ]
    assert all(r.target_verified and r.enabled for r in rules)
    unverified = logging.alert_rules(CTX, [policy], metrics, None)
    assert unverified[0].target_verified is None
    partial = (
        'resource.type="gce_firewall_rule" AND protoPayload.methodName:"compute.firewalls.insert"'
    )
    assert logging.event_classes(partial) == ()


def test_common_helpers() -> None:
    assert region_of_zone(f"{C}/zones/europe-west4-c") == "europe-west4"
    assert project_of("https://www.googleapis.com/compute/v1/projects/q/global/networks/y") == "q"
    stamp = parse_time("2024-03-04T09:15:27.123-08:00")
    assert stamp is not None and stamp.utcoffset() is not None and stamp.microsecond == 123000
    assert parse_time("2026-11-17T00:00:00.123456789Z") == datetime(
        2026, 11, 17, 0, 0, 0, 123456, tzinfo=UTC
    )


def test_custom_roles_decide_admin_equivalence() -> None:
    bindings = iam.policy(
        CTX, {"bindings": [{"role": "projects/p1/roles/x", "members": ["user:a@x.com"]}]}
    )
    assert bindings[0].admin_equivalent is None  # type: ignore[attr-defined]
    admin = iam.custom_role(
        CTX, {"name": "projects/p1/roles/x", "includedPermissions": ["iam.roles.update"]}
    )
    assert admin.admin_equivalent is True and admin.custom is True
    gone = iam.custom_role(
        CTX,
        {
            "name": "projects/p1/roles/y",
            "deleted": True,
            "includedPermissions": ["resourcemanager.projects.setIamPolicy"],
        },
    )
    assert gone.admin_equivalent is False
