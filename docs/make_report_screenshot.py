"""Render the demo's html report and save screenshots of it for the docs.

    python docs/make_report_screenshot.py [--out docs/images]

Needs the demo extra, selenium (the test extra) and Debian's ``chromium`` and
``chromium-driver`` packages. Writes ``report.png`` (header, charts, first control)
and ``report-findings.png`` (the findings table filtered to FAIL).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

WIDTH = 1280


def demo_report(directory: Path) -> Path:
    out = directory / "report.html"
    done = subprocess.run(
        [sys.executable, "-m", "scanner.cli", "demo", "--format", "html", "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode not in (0, 3, 4):  # 3 and 4: the demo has failing findings / gaps
        sys.exit(f"cldscan demo failed ({done.returncode}): {done.stderr.strip()}")
    return out


def browser(height: int) -> WebDriver:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not binary or not driver_path:
        sys.exit("install chromium and chromedriver: apt-get install -y chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"):
        options.add_argument(arg)
    options.add_argument(f"--window-size={WIDTH},{height}")
    return webdriver.Chrome(options=options, service=Service(executable_path=driver_path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "images")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        page = demo_report(Path(tmp)).as_uri()
        driver = browser(1650)
        try:
            driver.get(page)
            driver.save_screenshot(str(args.out / "report.png"))
            Select(driver.find_element("id", "f-status")).select_by_value("FAIL")
            Select(driver.find_element("id", "f-severity")).select_by_value("critical")
            driver.set_window_size(WIDTH, 900)
            driver.execute_script("document.getElementById('findings').scrollIntoView()")
            driver.save_screenshot(str(args.out / "report-findings.png"))
        finally:
            driver.quit()
    print(f"wrote {args.out / 'report.png'} and {args.out / 'report-findings.png'}")


if __name__ == "__main__":
    main()
