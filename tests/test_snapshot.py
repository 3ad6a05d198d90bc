"""The evidence snapshot: lossless round trip, and clear errors for files that are not one."""

from __future__ import annotations

import json
import os
import stat
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from scanner.errors import ExitCode, SnapshotError
from scanner.inventory import (
    ENTITY_TYPES,
    AuditTrail,
    ComputeInstance,
    Credential,
    Disk,
    FirewallRule,
    Gap,
    GapReason,
    Inventory,
    LoginSettings,
    PortRange,
    Principal,
    Route,
    RouteTable,
    ScanScope,
    SecurityService,
)
from scanner.snapshot import inventory_to_dict, read_snapshot, write_snapshot

ACCOUNT = "123456789012"
WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def _common(kind: str, region: str = "us-east-1", **extra: Any) -> dict[str, Any]:
    return {
        "id": f"arn:aws:ec2:{region}:{ACCOUNT}:{kind}/x-1",
        "provider": "aws",
        "account": ACCOUNT,
        "region": region,
        "name": f"{kind}-1",
        **extra,
    }


def rich_inventory() -> Inventory:
    """Nested values, tuples, mappings, datetimes, None and False side by side."""
    entities = (
        ComputeInstance(
            **_common("instance", tags={"Name": "web", "env": "prod"}),
            state="running",
            firewall_set_ids=("arn:aws:ec2:us-east-1:1:security-group/sg-1",),
            public_ips=("203.0.113.9",),
            metadata_v2_required=False,
            secure_boot=None,
            login=LoginSettings(password_auth=True, serial_console=None),
            launched_at=WHEN,
        ),
        Disk(**_common("volume"), attached_to=("i-1", "i-2"), encrypted=False, size_gb=8),
        FirewallRule(
            **_common("security-group-rule"),
            ports=(PortRange(22, 22), PortRange(3389, 3390)),
            sources=("0.0.0.0/0", "::/0"),
            source_is_world=True,
            priority=None,
        ),
        RouteTable(**_common("route-table"), routes=(Route("10.1.0.0/16", "pcx-1"),)),
        SecurityService(
            **_common("detector", region="eu-west-1"),
            service_kind="threat_detection",
            enabled=True,
            features={"S3_DATA_EVENTS": "ENABLED"},
        ),
        AuditTrail(**_common("trail", region="global"), logging=True, validated=None),
        Principal(
            **_common("user", region="global"),
            principal_kind="human",
            aliases=("AIDAEXAMPLE",),
            mfa=False,
            last_sign_in=None,
            created_at=WHEN,
        ),
        Credential(
            **_common("credential", region="global"),
            principal_id="arn:aws:iam::1:user/a",
            credential_kind="access_key",
            active=True,
            last_used=WHEN,
        ),
    )
    return Inventory(
        entities=entities,
        gaps=(
            Gap("aws", ACCOUNT, "eu-west-1", "ec2:DescribeVolumes", ("disk",), GapReason.THROTTLED),
            Gap("aws", ACCOUNT, "global", "iam:ListUsers", (), GapReason.ACCESS_DENIED, "denied"),
        ),
        scopes=(
            ScanScope(
                "aws", ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", "prod", ("us-east-1", "eu-west-1")
            ),
        ),
        collected_at=WHEN,
        tool_version="0.1.0",
    )


def test_round_trip_is_lossless(tmp_path: Path) -> None:
    inv = rich_inventory()
    path = tmp_path / "snap.json"
    write_snapshot(inv, path)
    back = read_snapshot(path)
    assert back == inv
    assert [type(e) for e in back.entities] == [type(e) for e in inv.entities]
    assert inventory_to_dict(back) == inventory_to_dict(inv)
    instance = back.of(ComputeInstance)[0]
    assert instance.metadata_v2_required is False
    assert instance.secure_boot is None
    assert instance.login.password_auth is True
    assert instance.launched_at == WHEN
    assert back.get("AIDAEXAMPLE", Principal) is not None


def test_every_entity_kind_round_trips(tmp_path: Path) -> None:
    entities = tuple(
        cls(id=f"id-{kind}", provider="aws", account=ACCOUNT, region="us-east-1")
        for kind, cls in ENTITY_TYPES.items()
    )
    inv = Inventory(entities=entities, scopes=rich_inventory().scopes)
    path = tmp_path / "all.json"
    write_snapshot(inv, path)
    assert read_snapshot(path) == inv


def test_write_is_atomic_and_keeps_old_file_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "snap.json"
    write_snapshot(rich_inventory(), path)
    before = path.read_text()

    def broken(_inv: Inventory) -> dict[str, Any]:
        raise RuntimeError("disk full")

    monkeypatch.setattr("scanner.snapshot.inventory_to_dict", broken)
    with pytest.raises(RuntimeError):
        write_snapshot(rich_inventory(), path)
    assert path.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap.json"]


def test_write_into_a_fifo_keeps_the_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "snap.pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    write_snapshot(rich_inventory(), fifo)
    reader.join(timeout=10)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode), "the FIFO was replaced by a file"
    assert received, "nothing reached the reader"
    assert json.loads(received[0])["schema"] == "cldscan.snapshot"


def _valid() -> dict[str, Any]:
    return inventory_to_dict(rich_inventory())


def _mutate(change: Any) -> dict[str, Any]:
    data = _valid()
    change(data)
    return data


MALFORMED: dict[str, tuple[Any, str]] = {
    "not an object": ([1, 2], "not a cldscan snapshot"),
    "wrong schema": ({"schema": "other"}, "not a cldscan snapshot"),
    "future major version": (
        _mutate(lambda d: d.update(schema_version="2.0")),
        "schema version 2.0 is not supported",
    ),
    "unknown kind": (
        _mutate(lambda d: d["entities"][0].update(kind="spaceship")),
        "unknown entity kind 'spaceship'",
    ),
    "missing id": (
        _mutate(lambda d: d["entities"][1].pop("id")),
        "entities[1]: missing required field 'id'",
    ),
    "string for bool": (
        _mutate(lambda d: d["entities"][1].update(encrypted="no")),
        "entities[1].encrypted: expected true or false",
    ),
    "bool for int": (
        _mutate(lambda d: d["entities"][1].update(size_gb=True)),
        "entities[1].size_gb: expected an integer",
    ),
    "bad date": (
        _mutate(lambda d: d["entities"][0].update(launched_at="yesterday")),
        "not an ISO 8601 date-time",
    ),
    "bad gap reason": (
        _mutate(lambda d: d["gaps"][0].update(reason="bored")),
        "gaps[0].reason",
    ),
    "null required": (
        _mutate(lambda d: d["scopes"][0].update(account=None)),
        "scopes[0].account: null where a value is required",
    ),
    "no scopes": (
        _mutate(lambda d: d.update(scopes=[])),
        'the snapshot names no scanned scope ("scopes" is empty)',
    ),
    "entity outside the scopes": (
        _mutate(lambda d: d["entities"][1].update(account="999999999999")),
        "entities[1]: aws account '999999999999' is not in \"scopes\"",
    ),
    "gap outside the scopes": (
        _mutate(lambda d: d["gaps"][0].update(provider="gcp")),
        "gaps[0]: gcp account",
    ),
    "list expected": (
        _mutate(lambda d: d["entities"][2].update(ports="22")),
        "entities[2].ports: expected a list",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_snapshot_names_the_problem(tmp_path: Path, case: str) -> None:
    data, expected = MALFORMED[case]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SnapshotError) as info:
        read_snapshot(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message
    assert info.value.exit_code is ExitCode.USAGE


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"{", "not valid JSON (line 1"),
        (b"\xff\xfe\x00garbage", "cannot read"),
        (b"", "not valid JSON"),
    ],
)
def test_unreadable_files(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(SnapshotError) as info:
        read_snapshot(path)
    assert expected in str(info.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="no such file"):
        read_snapshot(tmp_path / "absent.json")
    with pytest.raises(SnapshotError, match="cannot read"):
        read_snapshot(tmp_path)


def test_minor_version_and_unknown_top_level_keys_are_accepted(tmp_path: Path) -> None:
    data = _mutate(lambda d: d.update(schema_version="1.7", extra="ignored"))
    path = tmp_path / "newer.json"
    path.write_text(json.dumps(data))
    assert read_snapshot(path) == rich_inventory()
