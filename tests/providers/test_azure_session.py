"""Azure endpoints from --cloud and the environment overrides."""

from __future__ import annotations

import pytest

from providers.azure.session import endpoints
from scanner.environ import patched_environment
from scanner.errors import ConfigurationError

UNSET = ("CLDSCAN_AZURE_ARM_ENDPOINT", "AZURE_AUTHORITY_HOST")


@pytest.mark.parametrize(
    ("cloud", "arm", "login"),
    [
        ("public", "https://management.azure.com", "https://login.microsoftonline.com"),
        ("china", "https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn"),
        ("usgov", "https://management.usgovcloudapi.net", "https://login.microsoftonline.us"),
    ],
)
def test_cloud_endpoints(cloud: str, arm: str, login: str) -> None:
    with patched_environment({}, unset=UNSET):
        ends = endpoints(cloud)
    assert (ends.arm, ends.authority, ends.scope) == (arm, login, f"{arm}/.default")


def test_environment_overrides() -> None:
    env = {
        "CLDSCAN_AZURE_ARM_ENDPOINT": "https://arm.example/",
        "AZURE_AUTHORITY_HOST": "login.example",
    }
    with patched_environment(env):
        ends = endpoints("china")
    assert (ends.arm, ends.authority) == ("https://arm.example", "https://login.example")
    with (
        patched_environment({"CLDSCAN_AZURE_ARM_ENDPOINT": "http://arm.example"}),
        pytest.raises(ConfigurationError, match="https"),
    ):
        endpoints("public")
    with pytest.raises(ConfigurationError, match="unknown Azure cloud"):
        endpoints("mars")
