"""Seeded accounts on harness servers, shared by the end-to-end tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from fixtures.aws import Scenario, Seeder, build_bad_account, build_good_account
from tests.e2e.support import REGIONS, Run, run_cldscan, scan_args, user_env
from tests.harness.client import MotoHarness, moto_server

OLD_KEY_DATE = "2020-01-01T00:00:00+00:00"


@dataclass(frozen=True)
class Account:
    harness: MotoHarness
    scenario: Scenario
    env: dict[str, str]


Builder = Callable[[Seeder, Sequence[str]], Scenario]


def _seed(harness: MotoHarness, build: Builder, tmp: Path) -> Account:
    scenario = build(Seeder.for_endpoint(harness.url), REGIONS)
    harness.set_root_row(True, **scenario.root_row)
    for key_id in scenario.old_access_keys:
        harness.age_access_key(key_id, OLD_KEY_DATE)
    harness.reset_log()
    return Account(harness, scenario, user_env(harness, tmp / "aws-empty-config"))


@pytest.fixture(scope="session")
def good_account(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Account]:
    with moto_server() as harness:
        yield _seed(harness, build_good_account, tmp_path_factory.mktemp("good"))


@pytest.fixture(scope="session")
def bad_account(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Account]:
    with moto_server() as harness:
        yield _seed(harness, build_bad_account, tmp_path_factory.mktemp("bad"))


@pytest.fixture(scope="session")
def good_scan(good_account: Account) -> Run:
    good_account.harness.clear_faults()
    return run_cldscan(scan_args(fail_on="low"), good_account.env)


@pytest.fixture(scope="session")
def bad_scan(bad_account: Account) -> Run:
    return run_cldscan(scan_args(fail_on="low"), bad_account.env)


@pytest.fixture
def good(good_account: Account) -> Iterator[Account]:
    """The good account with no faults and an empty request log; faults cleared after."""
    good_account.harness.clear_faults()
    good_account.harness.reset_log()
    yield good_account
    good_account.harness.clear_faults()
