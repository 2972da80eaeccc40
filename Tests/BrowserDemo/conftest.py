"""The role paths on a demo year: `scripts/test` starts `liandong serve` on a database that
`liandong demo` filled, and passes its address in LIANDONG_DEMO_URL. Headless Chromium, driven by
Selenium; screenshots go to artifacts/."""
import os
import pathlib

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "artifacts"
PASSWORD = "Lishui-Demo-2026"


def pytest_configure(config):
    ARTIFACTS.mkdir(exist_ok=True)


@pytest.fixture(scope="session")
def demo_url():
    url = os.environ.get("LIANDONG_DEMO_URL")
    if not url:
        pytest.fail("LIANDONG_DEMO_URL is not set: run these tests through scripts/test")
    return url.rstrip("/")


def make_browser(size):
    options = Options()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={size}", "--lang=zh-CN"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)
    driver.implicitly_wait(5)
    return driver


@pytest.fixture
def browser():
    driver = make_browser("1366,768")
    yield driver
    driver.quit()


@pytest.fixture
def wall():
    driver = make_browser("1920,1080")
    # The screen as a kiosk shows it: all 1920×1080 for the page, no window frame.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False})
    yield driver
    driver.quit()


def shot(driver, name):
    driver.save_screenshot(str(ARTIFACTS / f"{os.environ.get('LIANDONG_DB_LABEL', 'db')}-demo-{name}.png"))
