"""--organization / --folder reach projects in sub-folders at any depth."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from fixtures.gcp.credentials import GCP_UNSET, fake_env, write_key_file
from fixtures.gcp.fake_google import FakeGoogle, running
from fixtures.gcp.scenarios import ORG, build_bad_project, build_good_project
from providers.gcp import GcpOptions
from providers.gcp.scan import resolve_projects
from providers.gcp.session import open_session
from scanner.environ import patched_environment
from scanner.errors import ConfigurationError


def _folder(number: str, parent: str, state: str = "ACTIVE") -> dict[str, str]:
    return {"name": f"folders/{number}", "parent": parent, "displayName": number, "state": state}


@contextmanager
def pointed_at(fake: FakeGoogle, tmp: Path) -> Iterator[None]:
    key = write_key_file(tmp, token_uri=f"{fake.base}/token")
    env = fake_env(fake.base, key)
    with patched_environment(env, unset=tuple(k for k in GCP_UNSET if k not in env)):
        yield


def _projects(**kwargs: object) -> set[str]:
    options = GcpOptions(retry_deadline=2.0, timeout=5.0, **kwargs)  # type: ignore[arg-type]
    return set(resolve_projects(open_session(options), options))


def test_nested_folder_projects_are_found(tmp_path: Path) -> None:
    """good sits directly under the org, bad two folders down, third in a deleted folder."""
    good, bad = build_good_project(), build_bad_project()
    bad.parent = "folders/22"
    hidden = build_good_project("acme-hidden", number="401234567899")
    hidden.parent = "folders/33"
    with running([good, bad, hidden], page_size=1) as fake:
        fake.folders = [
            _folder("11", ORG),
            _folder("22", "folders/11"),
            _folder("33", "folders/11", state="DELETE_REQUESTED"),
        ]
        with pointed_at(fake, tmp_path):
            assert _projects(organization="123456789012") == {"acme-good", "acme-bad"}
            assert _projects(folder="11") == {"acme-bad"}
            assert _projects(folder="folders/22") == {"acme-bad"}
        listed = [r.query["parent"] for r in fake.requests() if r.path == "/v3/folders"]
        assert ["organizations/123456789012"] in listed and ["folders/22"] in listed


def test_unlistable_folders_stop_the_scan(tmp_path: Path) -> None:
    with running([build_good_project()]) as fake:
        fake.fail(r"^/v3/folders$")
        with (
            pointed_at(fake, tmp_path),
            pytest.raises(ConfigurationError, match="folders under organizations/"),
        ):
            _projects(organization="123456789012")
