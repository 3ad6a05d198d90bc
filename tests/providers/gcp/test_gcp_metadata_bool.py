"""Boolean metadata values read the way Google's guest agent reads them (strconv.ParseBool)."""

from __future__ import annotations

import pytest

from providers.gcp.normalise import compute
from providers.gcp.normalise.common import Ctx, parse_bool

CTX = Ctx("p1")
C = "https://www.googleapis.com/compute/v1/projects/p1"


def _vm(**meta: str) -> dict[str, object]:
    return {
        "selfLink": f"{C}/zones/us-east1-b/instances/vm",
        "name": "vm",
        "zone": f"{C}/zones/us-east1-b",
        "status": "RUNNING",
        "metadata": {"items": [{"key": k, "value": v} for k, v in meta.items()]},
    }


@pytest.mark.parametrize("text", ["1", "t", "T", "TRUE", "true", "True"])
def test_go_true_spellings(text: str) -> None:
    assert parse_bool(text) is True


@pytest.mark.parametrize("text", ["0", "f", "F", "FALSE", "false", "False"])
def test_go_false_spellings(text: str) -> None:
    assert parse_bool(text) is False


@pytest.mark.parametrize("text", ["yes", "on", "tRuE", " true", "", "2"])
def test_other_values_are_unknown(text: str) -> None:
    assert parse_bool(text) is None
    assert parse_bool(None) is None


def test_serial_port_enable_1_is_on() -> None:
    vm = compute.instance(CTX, _vm(**{"serial-port-enable": "1"}), {})
    assert vm.login.serial_console is True
    project = compute.instance(CTX, _vm(), {"serial-port-enable": "T", "enable-oslogin": "1"})
    assert project.login.serial_console is True and project.login.central_login is True


def test_unparseable_instance_value_falls_back_to_project() -> None:
    vm = compute.instance(CTX, _vm(**{"serial-port-enable": "yes"}), {"serial-port-enable": "1"})
    assert vm.login.serial_console is True
    off = compute.instance(CTX, _vm(**{"enable-oslogin": "on"}), {"enable-oslogin": "FALSE"})
    assert off.login.central_login is False


def test_unparseable_value_that_decides_is_not_reported() -> None:
    # Instance value unparseable and no project value: never read as off.
    vm = compute.instance(CTX, _vm(**{"serial-port-enable": "yes"}), {})
    assert vm.login.serial_console is None
    proj = compute.instance(CTX, _vm(), {"enable-oslogin": "enabled"})
    assert proj.login.central_login is None
    unread = compute.instance(CTX, _vm(**{"serial-port-enable": "yes"}), None)
    assert unread.login.serial_console is None
    keys = compute.instance(CTX, _vm(**{"block-project-ssh-keys": "si"}), {})
    assert keys.login.project_keys_blocked is None
    blocked = compute.instance(CTX, _vm(**{"block-project-ssh-keys": "1"}), {})
    assert blocked.login.project_keys_blocked is True
