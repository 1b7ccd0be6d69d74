"""Regenerate docs/policy-curve.png: the "Service level vs stock" screen in headless Chromium.

Logs in to a running Odoo with erpconnect_ai installed and one analysis run (the run computes
the curve), opens ERPConnect AI > Service level vs stock at a desktop width, saves a full-page
screenshot, selects another point of class A (as a user would) and prints the browser console
errors; exit code 1 when there is any, or when no class is drawn. Same requirements and options
as ``bench/screenshot_dashboard.py`` (Chromium, chromedriver, Selenium)::

    /tmp/bench-venv/bin/python bench/screenshot_policy_curve.py \\
        --url http://127.0.0.1:8069 --db mydb --login admin --password admin
"""

import sys
import time

from screenshot_dashboard import (  # same directory: one way to log in and capture
    TIMEOUT,
    console_errors,
    full_page_screenshot,
    login,
    make_driver,
    parse_args,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

SCREEN = ".o_erpconnect_policy_curve"


def main(argv=None):
    args = parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    driver = make_driver(args, 1440, 900)
    try:
        login(driver, args)
        started = time.monotonic()
        driver.get(f"{args.url}/odoo/action-erpconnect_ai.erpconnect_policy_curve_action")
        wait = WebDriverWait(driver, TIMEOUT)
        wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, SCREEN)))
        time.sleep(3)  # Chart.js draws
        classes = driver.find_elements(By.CSS_SELECTOR, f"{SCREEN} .o_erpconnect_curve_class")
        canvases = driver.find_elements(By.CSS_SELECTOR, f"{SCREEN} canvas")
        points = driver.find_elements(
            By.CSS_SELECTOR, f"{SCREEN} .o_erpconnect_curve_class[data-abc='A'] tr[data-level]"
        )
        if points:
            points[0].click()
            time.sleep(1)
        path = args.out_dir / "policy-curve.png"
        # The screen scrolls inside itself: let it grow to its content, as the dashboard.
        driver.execute_script(
            f"document.querySelector('{SCREEN}').style.height = 'auto';"
            f"document.querySelector('{SCREEN}').style.overflow = 'visible';"
        )
        full_page_screenshot(driver, path)
        errors = console_errors(driver)
        print(
            f"{path}: {len(classes)} classes, {len(canvases)} charts, "
            f"opened in {time.monotonic() - started - 4:.1f} s, {len(errors)} console error(s)"
        )
        for entry in errors:
            print(f"  console error: {entry['message']}")
        return 1 if errors or not classes else 0
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
