"""Regenerate docs/dashboard-desktop.png and docs/dashboard-phone.png (dashboard screenshots).

Logs in to a running Odoo with erpconnect_ai installed (best: the sample history loaded and one
analysis run), opens the ERPConnect AI dashboard in headless Chromium at a desktop and a phone
width, saves one full-page screenshot each, and prints the browser console errors (exit code 1
when there is any, or when the dashboard does not render).

Needs Chromium and its chromedriver (Debian: ``apt-get install chromium chromium-driver``) and
Selenium (``python3 -m venv /tmp/bench-venv && /tmp/bench-venv/bin/pip install selenium``)::

    /tmp/bench-venv/bin/python bench/screenshot_dashboard.py \\
        --url http://127.0.0.1:8069 --db mydb --login manager@erp.com --password manager123

Options: ``--out-dir`` (default ``docs/`` next to this script), ``--days`` (period shown, 30),
``--chromium``/``--chromedriver`` (default ``/usr/bin/chromium``/``/usr/bin/chromedriver``).
"""

import argparse
import base64
import sys
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

SIZES = {"desktop": (1440, 900), "phone": (390, 844)}
DASHBOARD = ".o_erpconnect_dashboard"
TIMEOUT = 60


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8069", help="Odoo base URL")
    parser.add_argument("--db", required=True, help="database name")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--days", type=int, choices=(7, 30, 90), default=30)
    parser.add_argument(
        "--out-dir", type=Path, default=Path(__file__).resolve().parent.parent / "docs"
    )
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    return parser.parse_args(argv)


def make_driver(args, width, height):
    options = webdriver.ChromeOptions()
    options.binary_location = args.chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    if width < 600:
        # A phone: small viewport and touch, so that Odoo switches to its mobile layout.
        options.add_experimental_option(
            "mobileEmulation",
            {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0}},
        )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(args.chromedriver), options=options)


def login(driver, args):
    driver.get(f"{args.url}/web/login?db={args.db}")
    wait = WebDriverWait(driver, TIMEOUT)
    wait.until(expected_conditions.element_to_be_clickable((By.ID, "login"))).send_keys(args.login)
    driver.find_element(By.ID, "password").send_keys(args.password)
    driver.find_element(By.CSS_SELECTOR, ".oe_login_form button[type=submit]").click()
    wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".o_web_client")))


def open_dashboard(driver, args):
    driver.get(f"{args.url}/odoo/action-erpconnect_ai.erpconnect_dashboard_action")
    wait = WebDriverWait(driver, TIMEOUT)
    wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, DASHBOARD)))
    if args.days != 30:
        driver.find_element(
            By.CSS_SELECTOR, f".o_erpconnect_period_selector button[data-days='{args.days}']"
        ).click()
        wait.until(
            expected_conditions.presence_of_element_located(
                (By.CSS_SELECTOR, f"{DASHBOARD}[data-days='{args.days}']")
            )
        )
    # Let the lazily loaded Chart.js draw every chart.
    time.sleep(3)


def full_page_screenshot(driver, path):
    """Save the whole dashboard, not only the viewport: Odoo's web client scrolls inside a
    fixed-height page, so let its containers grow to their content, then capture the page."""
    driver.execute_script(
        "for (const el of document.querySelectorAll("
        "'html, body, .o_web_client, .o_action_manager, .o_erpconnect_dashboard')) {"
        "  el.style.height = 'auto'; el.style.overflow = 'visible'; }"
    )
    time.sleep(2)
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        },
    )
    path.write_bytes(base64.b64decode(shot["data"]))


def console_errors(driver):
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def main(argv=None):
    args = parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    failures = 0
    for name, (width, height) in SIZES.items():
        driver = make_driver(args, width, height)
        try:
            login(driver, args)
            started = time.monotonic()
            open_dashboard(driver, args)
            path = args.out_dir / f"dashboard-{name}.png"
            full_page_screenshot(driver, path)
            panels = driver.find_elements(By.CSS_SELECTOR, ".o_erpconnect_panel")
            empty = driver.find_elements(By.CSS_SELECTOR, ".o_erpconnect_panel_empty")
            errors = console_errors(driver)
            print(
                f"{name}: {path} ({width}px wide), {len(panels)} panels, {len(empty)} empty, "
                f"opened in {time.monotonic() - started - 3:.1f} s, "
                f"{len(errors)} console error(s)"
            )
            for entry in errors:
                print(f"  console error: {entry['message']}")
            failures += len(errors) + (0 if panels else 1)
        finally:
            driver.quit()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
