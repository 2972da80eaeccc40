"""The role paths on a demo year: `scripts/test` starts `liandong serve` on a database that
`liandong demo` filled, and passes its address in LIANDONG_DEMO_URL. Headless Chromium, driven by
Selenium; screenshots go to artifacts/."""
import os
import pathlib
import re

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


# GB/T 15834, as the Swift suite's TypographyTests reads the sources: an ASCII , ; : ( ) ? !
# touching a Chinese character is a fault. The reviewed exceptions are that suite's own list,
# read from it so that there is one list.
_TYPOGRAPHY_SWIFT = pathlib.Path(__file__).resolve().parents[1] / "LiandongServerTests" / "TypographyTests.swift"
ALLOWED = re.findall(r'"([^"]*)"', re.search(r"static let allowed: Set<String> = \[(.*?)\]", _TYPOGRAPHY_SWIFT.read_text()).group(1))


def _han(c):
    return 0x3400 <= ord(c) <= 0x9FFF


def ascii_punctuation(text):
    """Each ASCII mark touching a Han character in `text`, with a little context."""
    for a in ALLOWED:
        text = text.replace(a, "※")
    found = []
    for i, c in enumerate(text):
        if c in ",;:()?!":
            left = text[i - 1] if i > 0 else " "
            right = text[i + 1] if i + 1 < len(text) else " "
            if _han(left) or _han(right):
                found.append(text[max(0, i - 8):i + 9])
    return found
