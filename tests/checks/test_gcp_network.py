"""GCP networks: default and legacy networks, foreign peerings, subnet flow logs."""

from __future__ import annotations

from scanner.inventory import FlowLogConfig, Network, NetworkPeering, ScanScope, Subnet
from scanner.results import Status
from tests.checks.builders import only, statuses
from tests.checks.gcp_builders import API, NETWORK, PROJECT, REGION, SCOPE, SUBNET, make, run

DEFAULTS = "any.network.default_constructs_restricted"
PEERING = "any.network.cross_tenant_link"
FLOW = "any.network.flow_logs_enabled"
DEFAULT_NET = f"{API}/projects/{PROJECT}/global/networks/default"
LEGACY_NET = f"{API}/projects/{PROJECT}/global/networks/legacy-net"


def test_default_and_legacy_networks_fail() -> None:
    findings = run(
        DEFAULTS,
        make(Network, DEFAULT_NET, is_default=True),
        make(Network, LEGACY_NET, legacy=True, cidrs=("10.240.0.0/16",)),
        make(Network, NETWORK),
    )
    assert statuses(findings) == {
        DEFAULT_NET: Status.FAIL,
        LEGACY_NET: Status.FAIL,
        NETWORK: Status.PASS,
    }
    assert "default network" in only(findings, DEFAULT_NET).message
    assert "legacy" in only(findings, LEGACY_NET).message


def peering(peer_project: str, name: str = "to-peer", **fields: object) -> NetworkPeering:
    base: dict[str, object] = {
        "local_network_id": NETWORK,
        "peer_network_id": f"{API}/projects/{peer_project}/global/networks/shared",
        "peer_account": peer_project,
        "status": "active",
        "transit": True,
    }
    base.update(fields)
    return make(NetworkPeering, f"{NETWORK}/peerings/{name}", **base)  # type: ignore[arg-type]


def test_peering_to_an_unscanned_project_fails() -> None:
    f = only(run(PEERING, peering("partner-corp")), f"{NETWORK}/peerings/to-peer")
    assert f.status is Status.FAIL
    assert "partner-corp" in f.message and "custom routes" in f.message


def test_peering_to_a_scanned_project_passes() -> None:
    other = ScanScope("gcp", "acme-shared", "//cloudresourcemanager.googleapis.com/projects/x")
    findings = run(PEERING, peering("acme-shared"), scopes=(SCOPE, other))
    assert [f.status for f in findings] == [Status.PASS]


def test_inactive_peering_is_skipped_and_unknown_peer_is_error() -> None:
    assert run(PEERING, peering("partner-corp", status="inactive")) == []
    assert [f.status for f in run(PEERING, peering("", peer_account=""))] == [Status.ERROR]


def test_private_services_access_peering_passes() -> None:
    producer = f"{API}/projects/abc123-tp/global/networks/servicenetworking"
    google = peering("abc123-tp", name="servicenetworking-googleapis-com", peer_network_id=producer)
    assert [f.status for f in run(PEERING, google)] == [Status.PASS]
    impostor = peering("abc123-tp", name="servicenetworking-googleapis-com")
    assert [f.status for f in run(PEERING, impostor)] == [Status.FAIL]


def subnet(name: str = "app", purpose: str = "PRIVATE") -> Subnet:
    sid = SUBNET.replace("/app", f"/{name}")
    return make(Subnet, sid, region=REGION, network_id=NETWORK, purpose=purpose)


def flow(target: Subnet, enabled: bool | None) -> FlowLogConfig:
    return make(
        FlowLogConfig,
        f"{target.id}/flowLogs",
        region=REGION,
        target_type="subnet",
        target_id=target.id,
        enabled=enabled,
        traffic_type="ALL",
    )


def test_subnet_flow_logs_judged_per_private_subnet() -> None:
    on, off, unknown, missing = subnet("on"), subnet("off"), subnet("unknown"), subnet("none")
    proxy = subnet("proxy", purpose="REGIONAL_MANAGED_PROXY")
    findings = run(
        FLOW,
        make(Network, NETWORK),
        on,
        off,
        unknown,
        missing,
        proxy,
        flow(on, True),
        flow(off, False),
        flow(unknown, None),
        flow(proxy, False),
    )
    assert statuses(findings) == {
        on.id: Status.PASS,
        off.id: Status.FAIL,
        unknown.id: Status.ERROR,
        missing.id: Status.FAIL,
    }


def test_networks_are_not_judged_on_gcp() -> None:
    """Flow logs are a subnet setting on GCP: a network gets no result of its own."""
    assert run(FLOW, make(Network, LEGACY_NET, legacy=True)) == []
