"""Each role's main path on the demo year: log in, do the day's task from the home page, see the
result. The EMB and the police confirm the same deduction (joint confirmation), the liaison
appeals one of its unit's, the PLC drafts and publishes the next notice, and the wall screen shows
the city's figures."""
import re

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import PASSWORD, shot


def wait_text(browser, text, timeout=30):
    WebDriverWait(browser, timeout).until(lambda b: text in b.page_source, f"page never showed {text!r}")


def click_and_wait(browser, element):
    old = browser.find_element(By.TAG_NAME, "html")
    element.click()

    def stale(_):
        try:
            old.tag_name
            return False
        except Exception:
            return True
    WebDriverWait(browser, 15).until(stale, "the form was not submitted")


def login(browser, base, username):
    browser.get(f"{base}/login")
    browser.find_element(By.ID, "username").send_keys(username)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.grid button[type=submit]"))
    wait_text(browser, "今日工作")


def open_task(browser, title):
    """Follows the home page's task card with this title."""
    card = browser.find_element(By.XPATH, f"//a[contains(@class,'task')][.//div[@class='label' and text()='{title}']]")
    click_and_wait(browser, card)


def first_decidable(browser):
    form = browser.find_element(By.CSS_SELECTOR, "form[action$='/decision']")
    return re.search(r"/deductions/(\d+)/decision", form.get_attribute("action")).group(1)


def test_1_emb_and_police_confirm_a_deduction_jointly(browser, demo_url):
    login(browser, demo_url, "demo-emb")
    assert "待应急管理局确认的扣分" in browser.page_source
    shot(browser, "1-emb-home")
    open_task(browser, "待应急管理局确认的扣分")
    deduction = first_decidable(browser)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"form[action='/deductions/{deduction}/decision'] button[value=confirm]"))
    wait_text(browser, "市公安局")  # now awaiting the police only
    shot(browser, "1-emb-confirmed")
    browser.delete_all_cookies()

    login(browser, demo_url, "demo-psb")
    assert "在途联动警情" in browser.page_source and "本月电话抽查" in browser.page_source
    shot(browser, "1-police-home")
    open_task(browser, "待公安局确认的扣分")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"form[action='/deductions/{deduction}/decision'] button[value=confirm]"))
    browser.get(f"{demo_url}/deductions?status=confirmed")
    row = browser.find_element(By.XPATH, f"//tr[td[1][normalize-space()='{deduction}']]")
    assert "已确认" in row.text
    shot(browser, "1-police-confirmed")


def test_2_liaison_appeals_a_deduction(browser, demo_url):
    login(browser, demo_url, "demo-liaison")
    for text in ("本单位联系方式", "可申诉的扣分", "本年按时到场率"):
        assert text in browser.page_source
    shot(browser, "2-liaison-home")
    open_task(browser, "可申诉的扣分")
    form = browser.find_element(By.CSS_SELECTOR, "form[action$='/appeal']")
    deduction = re.search(r"/deductions/(\d+)/appeal", form.get_attribute("action")).group(1)
    form.find_element(By.NAME, "statement").send_keys("当日山洪致道路中断,已及时报告")
    click_and_wait(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    browser.get(f"{demo_url}/deductions?status=appealed")
    row = browser.find_element(By.XPATH, f"//tr[td[1][normalize-space()='{deduction}']]")
    assert "申诉中" in row.text and "山洪" in row.text
    shot(browser, "2-liaison-appealed")


def test_3_plc_publishes_the_next_notice(browser, demo_url):
    login(browser, demo_url, "demo-plc")
    assert "上次通报以来确认的扣分" in browser.page_source and "综合考核" in browser.page_source
    shot(browser, "3-plc-home")
    open_task(browser, "通报草稿")
    browser.get(f"{demo_url}/notices")
    browser.find_element(By.ID, "period").send_keys("2026-Q3")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form[action='/notices'] button[type=submit]"))
    wait_text(browser, "2026年第三季度")
    publish = browser.find_element(By.CSS_SELECTOR, "form[action$='/publish'] button")
    click_and_wait(browser, publish)
    wait_text(browser, "丽应联通〔2026〕3号")
    shot(browser, "3-plc-published")


def test_4_the_wall_screen(wall, demo_url):
    login(wall, demo_url, "demo-psb")
    wall.get(f"{demo_url}/overview")
    for text in ("本月电话抽查接通", "本月按时到场率", "本年超时到场较多的单位", "监督检查工作"):
        assert text in wall.page_source
    refresh = wall.find_element(By.CSS_SELECTOR, "meta[http-equiv=refresh]").get_attribute("content")
    assert refresh == "60"
    shot(wall, "4-wall-screen")
