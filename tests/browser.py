"""A headless Debian chromium driven through its own chromedriver (selenium), offline.

Missing browser: the test fails when ``CI=true`` (a skipped browser test in CI would
hide a broken report) and is skipped elsewhere with the way to install it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

INSTALL_HINT = (
    "headless chromium is needed: apt-get install -y chromium chromium-driver "
    "(Debian) and pip install -e '.[test]' (selenium)"
)
_BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed"
    if not any(shutil.which(b) for b in _BROWSERS):
        return "no chromium binary on PATH"
    if not shutil.which("chromedriver"):
        return "no chromedriver on PATH"
    return None


def require_browser() -> None:
    """Fail in CI, skip elsewhere, when the browser cannot run."""
    why = _missing()
    if why is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{why}: {INSTALL_HINT}", pytrace=False)
    pytest.skip(f"{why}: {INSTALL_HINT}")


@contextmanager
def chromium(
    *, javascript: bool = True, width: int = 1280, height: int = 900
) -> Iterator[WebDriver]:
    """A headless chromium session; console messages are kept for ``console_errors``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    require_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = next(p for b in _BROWSERS if (p := shutil.which(b)))
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        f"--window-size={width},{height}",
    ):
        options.add_argument(arg)
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=shutil.which("chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


def console_errors(driver: WebDriver) -> list[str]:
    """Console messages at error level since the last call (CSP violations included)."""
    return [
        str(entry.get("message"))
        for entry in driver.get_log("browser")  # type: ignore[attr-defined]
        if entry.get("level") == "SEVERE"
    ]
