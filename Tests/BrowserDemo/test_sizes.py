"""Each role's main pages on the demo year at a desk (1366×768), a tablet (1024×768) and a phone
(390×844): screenshots for a person to look at (artifacts/…-size-…png), and what a person would
trip on asserted: the header leaves most of a 768 px screen to the page, and at 390 px no page of
the liaison's scrolls sideways."""
import os

import pytest
from selenium.webdriver.common.by import By

from conftest import ARTIFACTS, make_browser
from test_roles import login

SIZES = [(1366, 768), (1024, 768), (390, 844)]

# Each role's day: where it starts and what it works through.
PAGES = {
    "demo-liaison": ["/", "/deductions", "detail", "/rectifications"],
    "demo-emb": ["/", "/deductions?awaiting=emb", "detail"],
    "demo-psb": ["/", "/checks/phone", "/checks/drills", "/deductions?awaiting=psb"],
    "demo-plc": ["/", "/notices", "/assessment"],
}


def sized_browser(width, height):
    driver = make_browser(f"{width},{height}")
    if width < 600:
        # Headless Chromium keeps a desktop layout viewport of ~500 px under a small window: a
        # phone's own metrics make the page lay out at 390 px, as on the device.
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True})
    return driver


def name_of(path):
    return path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-") or "home"


@pytest.mark.parametrize("width,height", SIZES)
@pytest.mark.parametrize("user", list(PAGES))
def test_each_roles_pages_at_each_size(demo_url, user, width, height):
    browser = sized_browser(width, height)
    try:
        login(browser, demo_url, user)
        # The layout viewport, less a desktop scroll bar.
        viewport = browser.execute_script("return document.documentElement.clientWidth")
        assert width - 20 <= viewport <= width, f"the page laid out at {viewport} px, not {width}"
        for path in PAGES[user]:
            if path == "detail":
                browser.get(f"{demo_url}/deductions")
                links = browser.find_elements(By.CSS_SELECTOR, "table.list a[href^='/deductions/']")
                assert links, "the list links to no deduction page"
                path = links[0].get_attribute("href").replace(demo_url, "")
                browser.get(f"{demo_url}{path}")
                assert "处理经过" in browser.page_source
                label = "deduction"
            else:
                browser.get(f"{demo_url}{path}")
                label = name_of(path)
            assert "出错了" not in browser.title
            role = user.removeprefix("demo-")
            browser.save_screenshot(str(ARTIFACTS / f"{os.environ.get('LIANDONG_DB_LABEL', 'db')}-size-{width}x{height}-{role}-{label}.png"))
            header = browser.execute_script("return document.querySelector('header.site').getBoundingClientRect().height")
            # The header is a frame, not the page: at most an eighth of a desk or tablet screen,
            # and a fifth of a phone's.
            limit = height / 5 if width < 600 else height / 8
            assert header <= limit, f"{role} {path} at {width}×{height}: the header takes {header:.0f} px"
            if role == "liaison" and width < 600:
                wide = browser.execute_script("return document.documentElement.scrollWidth")
                assert wide <= width, f"{path} at {width} px scrolls sideways ({wide} px wide)"
    finally:
        browser.quit()


# What lies past the right edge of the screen outside anything that scrolls by itself (a wide
# list scrolls inside its own box; the menu is a strip that scrolls): a button or text a person
# cannot reach without the page scrolling sideways.
BEYOND_THE_EDGE = """
const vw = document.documentElement.clientWidth, found = [];
for (const el of document.querySelectorAll('body *')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.right <= vw + 1) continue;
  let p = el.parentElement, inside = false;
  for (; p && p !== document.body; p = p.parentElement) {
    const o = getComputedStyle(p).overflowX;
    if (o === 'auto' || o === 'scroll' || o === 'hidden') { inside = true; break; }
  }
  if (!inside) found.push(el.tagName.toLowerCase() + ' ' + (el.innerText || '').slice(0, 30).replace(/\\n/g, ' '));
}
return found.slice(0, 5);
"""


@pytest.mark.parametrize("width,height", [(1024, 768), (390, 844)])
@pytest.mark.parametrize("user", list(PAGES) + ["demo-lq-emb"])
def test_every_menu_page_fits_the_screen(demo_url, user, width, height):
    """Every page of a role's menu on a tablet and a phone: nothing sideways of the screen."""
    browser = sized_browser(width, height)
    try:
        login(browser, demo_url, user)
        links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "header.site nav a")]
        assert links, "the menu has no links"
        role = user.removeprefix("demo-")
        for href in links:
            browser.get(href)
            path = href.replace(demo_url, "")
            assert "出错了" not in browser.title, f"{path}: {browser.title}"
            browser.save_screenshot(str(ARTIFACTS / f"{os.environ.get('LIANDONG_DB_LABEL', 'db')}-menu-{width}x{height}-{role}-{name_of(path)}.png"))
            wide = browser.execute_script("return document.documentElement.scrollWidth")
            assert wide <= width, f"{role} {path} at {width} px scrolls sideways ({wide} px wide)"
            beyond = browser.execute_script(BEYOND_THE_EDGE)
            assert not beyond, f"{role} {path} at {width} px: past the right edge: {beyond}"
    finally:
        browser.quit()
