"""Each role's main pages on the demo year at a desk (1366×768), a tablet (1024×768) and a phone
(390×844): screenshots for a person to look at (artifacts/…-size-…png), and what a person would
trip on asserted: the header leaves most of a 768 px screen to the page, and at 390 px no page of
the liaison's scrolls sideways."""
import csv
import io
import os
import re
import urllib.request

import docx
import openpyxl
import pytest
from selenium.webdriver.common.by import By

from conftest import ARTIFACTS, ascii_punctuation, make_browser
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
        punctuation, exports = [], set()
        for href in links:
            browser.get(href)
            path = href.replace(demo_url, "")
            assert "出错了" not in browser.title, f"{path}: {browser.title}"
            browser.save_screenshot(str(ARTIFACTS / f"{os.environ.get('LIANDONG_DB_LABEL', 'db')}-menu-{width}x{height}-{role}-{name_of(path)}.png"))
            wide = browser.execute_script("return document.documentElement.scrollWidth")
            assert wide <= width, f"{role} {path} at {width} px scrolls sideways ({wide} px wide)"
            beyond = browser.execute_script(BEYOND_THE_EDGE)
            assert not beyond, f"{role} {path} at {width} px: past the right edge: {beyond}"
            if width == 1024:
                # What the page says, as a person reads it (GB/T 15834), and the spreadsheets it offers.
                punctuation += [f"{path}: {p}" for p in ascii_punctuation(browser.find_element(By.TAG_NAME, "body").text)]
                exports.update(a.get_attribute("href") for a in browser.find_elements(By.XPATH, "//a[contains(., '导出')]"))
        if width == 1024:
            cookie = "; ".join(f"{c['name']}={c['value']}" for c in browser.get_cookies())
            for href in sorted(exports):
                punctuation += [f"{href.replace(demo_url, '')}: {p}" for p in ascii_punctuation(exported_text(href, cookie))]
            assert not punctuation, f"{role}: ASCII punctuation in Chinese text:\n" + "\n".join(punctuation)
    finally:
        browser.quit()


def exported_text(href, cookie):
    """The text of a file the page offers: every cell of a spreadsheet, a document's paragraphs
    and tables, a CSV or an HTML page as it stands."""
    request = urllib.request.Request(href, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=120) as response:
        body = response.read()
        kind = response.headers.get("Content-Type", "")
    assert body, f"{href}: empty export"
    if "spreadsheetml" in kind:
        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row if isinstance(v, str))
    if "wordprocessingml" in kind:
        document = docx.Document(io.BytesIO(body))
        cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
        return "\n".join([p.text for p in document.paragraphs] + cells)
    if kind.startswith("text/html"):
        # The words, not the markup or its style sheet (a font list is not Chinese text).
        html = re.sub(r"(?s)<(style|script)[^>]*>.*?</\1>", " ", body.decode("utf-8"))
        return re.sub(r"<[^>]+>", " ", html)
    if kind.startswith("text/csv"):
        # The cells, not the commas between them.
        return "\n".join(cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row)
    if kind.startswith("text/"):
        return body.decode("utf-8-sig")
    return ""
