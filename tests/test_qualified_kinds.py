"""Qualified gap kinds ("security_service:threat_detection"): one denied service of a shared
entity kind ERRORs only the checks that read that service."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scanner import registry
from scanner.engine import evaluate
from scanner.errors import CheckLoadError
from scanner.inventory import GLOBAL, Gap, GapReason, Inventory, SecurityService
from scanner.registry import CheckConfig, check, load_checks
from scanner.results import Finding, Result, Severity, Status
from tests.checks.builders import ACCOUNT, CFG, REGION, SCOPE, gap

THREAT = "security_service:threat_detection"
CONFIG = "security_service:config_recorder"


def _gap(*kinds: str) -> Gap:
    return Gap("aws", "1", GLOBAL, "op", kinds, GapReason.ACCESS_DENIED)


@pytest.mark.parametrize(
    ("gap_kinds", "wanted", "affected"),
    [
        ((THREAT,), (THREAT,), True),
        ((THREAT,), ("security_service",), True),
        ((THREAT,), (CONFIG,), False),
        ((THREAT,), ("disk",), False),
        (("security_service",), (THREAT,), True),
        (("security_service",), ("security_service",), True),
        (("security_service",), ("disk", CONFIG), True),
        (("disk",), (THREAT,), False),
        ((THREAT, "flow_log_config"), ("flow_log_config",), True),
        ((), (THREAT,), True),
    ],
)
def test_gap_affects_qualified_kinds(
    gap_kinds: tuple[str, ...], wanted: tuple[str, ...], affected: bool
) -> None:
    assert _gap(*gap_kinds).affects(wanted) is affected


def _define(needs: tuple[object, ...]) -> None:
    @check(
        id="test.qualified.needs",
        title="Qualified needs",
        severity=Severity.LOW,
        controls=("CLD.12.4.5",),
        providers=("aws",),
        needs=needs,  # type: ignore[arg-type]
        rationale="r",
        remediation="fix",
    )
    def qualified(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
        return iter(())


def test_a_qualified_need_is_accepted_and_listed_as_a_kind() -> None:
    try:
        _define((SecurityService, THREAT))
        entry = load_checks(plugins=False)["test.qualified.needs"]
        assert entry.needed_kinds == ("security_service", THREAT)
    finally:
        registry._REGISTRY.pop("test.qualified.needs", None)


@pytest.mark.parametrize(
    "bad", ["security_service", "no_such_kind:threat_detection", "security_service:", "a:b:c"]
)
def test_a_malformed_qualified_need_is_refused(bad: str) -> None:
    with pytest.raises(CheckLoadError, match="is not '<entity kind>:<qualifier>'"):
        _define((bad,))
    assert "test.qualified.needs" not in registry._REGISTRY


def test_builtin_service_checks_name_the_service_they_read() -> None:
    checks = load_checks(plugins=False)
    assert checks["any.detector.threat_detection"].needed_kinds == (THREAT,)
    assert CONFIG in checks["any.config_history.recording"].needed_kinds
    assert "security_service" not in checks["any.config_history.recording"].needed_kinds


def _service(name: str, service_kind: str) -> SecurityService:
    return SecurityService(
        id=f"arn:aws:{name}:{REGION}:{ACCOUNT}:{name}/1",
        provider="aws",
        account=ACCOUNT,
        region=REGION,
        name=name,
        service_kind=service_kind,
        enabled=True,
        all_resources=True,
    )


def test_a_guardduty_only_gap_spares_the_config_history_pass() -> None:
    checks = load_checks(plugins=False)
    inv = Inventory(
        entities=(_service("guardduty", "threat_detection"), _service("config", "config_recorder")),
        gaps=(gap((THREAT,), REGION),),
        scopes=(SCOPE,),
    )
    picked = [checks["any.detector.threat_detection"], checks["any.config_history.recording"]]
    findings = evaluate_findings(inv, picked)
    threat = {f.status for f in findings if f.check_id == "any.detector.threat_detection"}
    config = {f.status for f in findings if f.check_id == "any.config_history.recording"}
    assert threat == {Status.ERROR}
    assert config == {Status.PASS}


def test_a_plain_security_service_gap_still_errors_both() -> None:
    checks = load_checks(plugins=False)
    inv = Inventory(
        entities=(_service("guardduty", "threat_detection"), _service("config", "config_recorder")),
        gaps=(gap(("security_service",), REGION),),
        scopes=(SCOPE,),
    )
    picked = [checks["any.detector.threat_detection"], checks["any.config_history.recording"]]
    assert {f.status for f in evaluate_findings(inv, picked)} == {Status.ERROR}


def evaluate_findings(inv: Inventory, picked: list[registry.Check]) -> list[Finding]:
    return list(evaluate(inv, picked, CFG).findings)
