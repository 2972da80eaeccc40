"""Browser tests: a real Chromium, driven by Selenium through chromedriver, against a running
`liandong serve` that scripts/test starts on a fresh database. The server's one-time
administrator password (printed on its console at first start) reaches the tests through
LIANDONG_ADMIN_PASSWORD."""
import os
import pathlib

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "artifacts"


def pytest_configure(config):
    ARTIFACTS.mkdir(exist_ok=True)


@pytest.fixture(scope="session")
def base_url():
    url = os.environ.get("LIANDONG_URL")
    if not url:
        pytest.fail("LIANDONG_URL is not set: run these tests through scripts/test")
    return url.rstrip("/")


@pytest.fixture(scope="session")
def admin_password():
    password = os.environ.get("LIANDONG_ADMIN_PASSWORD")
    if not password:
        pytest.fail("LIANDONG_ADMIN_PASSWORD is not set: run these tests through scripts/test")
    return password


@pytest.fixture
def browser():
    options = Options()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1366,768", "--lang=zh-CN"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def shot(driver, name):
    """Keeps a screenshot for a person to look at."""
    driver.save_screenshot(str(ARTIFACTS / f"{os.environ.get('LIANDONG_DB_LABEL', 'db')}-{name}.png"))
