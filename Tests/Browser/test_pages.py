"""A person's path through the register, in a real browser."""
import re

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait


from conftest import shot

NEW_ADMIN_PASSWORD = "Lishui-Guanli-2026"
LIAISON_PASSWORD = "Lianluo-Yuan-2026"


def wait_text(browser, text, timeout=10):
    """Waits until the page shows the text (a click's navigation finishes on its own time)."""
    WebDriverWait(browser, timeout).until(lambda b: text in b.page_source, f"page never showed {text!r}")


def submit(browser, selector):
    """Clicks a submit button and waits for the next page to replace this one."""
    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.CSS_SELECTOR, selector).click()
    WebDriverWait(browser, 10).until(lambda b: _stale(old), "the form was not submitted")


def _stale(element):
    try:
        element.tag_name
        return False
    except Exception:
        return True


def login(browser, base_url, username, password):
    browser.get(f"{base_url}/login")
    browser.find_element(By.ID, "username").clear()
    browser.find_element(By.ID, "username").send_keys(username)
    browser.find_element(By.ID, "password").send_keys(password)
    submit(browser, "form.grid button[type=submit]")


def change_password(browser, current, new):
    assert browser.current_url.endswith("/account/password"), browser.current_url
    browser.find_element(By.ID, "current").send_keys(current)
    browser.find_element(By.ID, "new").send_keys(new)
    browser.find_element(By.ID, "confirm").send_keys(new)
    submit(browser, "form.grid button[type=submit]")


def logout(browser):
    submit(browser, "form.who button")


def test_1_administrator_first_login_and_register(browser, base_url, admin_password):
    # A wrong password is refused with a message, in Chinese.
    login(browser, base_url, "admin", "Wrong-Password-1")
    assert "用户名或密码错误" in browser.page_source

    # The one-time password works once, and must be replaced at once.
    login(browser, base_url, "admin", admin_password)
    assert "首次登录或密码被重置后,须先设置自己的密码" in browser.page_source
    shot(browser, "password-change")
    change_password(browser, admin_password, NEW_ADMIN_PASSWORD)
    assert "社会应急联动工作概况" in browser.page_source
    shot(browser, "home")

    browser.get(f"{base_url}/units?jurisdiction=city")
    assert "联动单位登记册" in browser.page_source
    assert "共 46 个单位" in browser.page_source
    assert "市自然资源和规划局(市林业局)" in browser.page_source
    assert "人行丽水市中心支行" in browser.page_source
    shot(browser, "units")

    # Filter to level 3 with the form, as a clerk would.
    Select(browser.find_element(By.NAME, "level")).select_by_visible_text("三级")
    submit(browser, "form.filters button")
    assert "共 9 个单位" in browser.page_source


def test_2_administrator_creates_a_liaison_who_reports_a_change(browser, base_url):
    login(browser, base_url, "admin", NEW_ADMIN_PASSWORD)
    browser.get(f"{base_url}/admin/accounts")
    browser.find_element(By.ID, "username").send_keys("shuili")
    browser.find_element(By.ID, "display_name").send_keys("水利局联络员")
    Select(browser.find_element(By.ID, "role")).select_by_visible_text("单位联络员")
    Select(browser.find_element(By.ID, "unit_id")).select_by_visible_text("市本级 市水利局")
    submit(browser, "form.grid button[type=submit]")
    assert "已创建账户 shuili" in browser.page_source
    one_time = browser.find_element(By.CSS_SELECTOR, "code.secret").text
    assert re.fullmatch(r"\S{14}", one_time)
    shot(browser, "accounts")
    logout(browser)

    login(browser, base_url, "shuili", one_time)
    change_password(browser, one_time, LIAISON_PASSWORD)
    browser.get(f"{base_url}/units")
    assert "共 1 个单位" in browser.page_source
    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.LINK_TEXT, "市水利局").click()
    WebDriverWait(browser, 10).until(lambda b: _stale(old))
    assert "登记联系方式变更(报备)" in browser.page_source

    # A bad number is refused next to its field; nothing is recorded.
    browser.find_element(By.ID, "duty_phone").send_keys("12")
    browser.find_element(By.ID, "reported_by").send_keys("水利局联络员")
    submit(browser, "#report button[type=submit]")
    assert "不是有效的电话号码" in browser.page_source
    assert browser.find_element(By.ID, "duty_phone").get_attribute("aria-invalid") == "true"

    duty = browser.find_element(By.ID, "duty_phone")
    duty.clear()
    duty.send_keys("0578-2123456")
    browser.find_element(By.ID, "liaison_name").send_keys("王五")
    browser.find_element(By.ID, "liaison_mobile").send_keys("13812345678")
    submit(browser, "#report button[type=submit]")
    assert "报备已登记" in browser.page_source
    history = browser.find_element(By.CSS_SELECTOR, "table.list").text
    assert "值班电话、联络员、联络员手机" in history
    assert "王五 13812345678" in history
    shot(browser, "unit-after-report")

    # Another unit is not the liaison's to see.
    browser.get(f"{base_url}/units/1")
    assert "无权查看该联动单位" in browser.page_source


def test_3_the_audit_log_shows_an_intact_chain(browser, base_url):
    login(browser, base_url, "admin", NEW_ADMIN_PASSWORD)
    browser.get(f"{base_url}/admin/audit")
    assert "链完整" in browser.page_source
    assert "contact.report" in browser.page_source
    shot(browser, "audit")


POLICE_PASSWORD = "Jingwu-Zhongxin-9"


def test_4_police_officer_checks_a_phone_and_runs_a_drill(browser, base_url):
    login(browser, base_url, "admin", NEW_ADMIN_PASSWORD)
    browser.get(f"{base_url}/admin/accounts")
    browser.find_element(By.ID, "username").send_keys("zhihui")
    browser.find_element(By.ID, "display_name").send_keys("指挥中心民警")
    Select(browser.find_element(By.ID, "role")).select_by_visible_text("公安局工作人员")
    submit(browser, "form.grid button[type=submit]")
    one_time = browser.find_element(By.CSS_SELECTOR, "code.secret").text
    logout(browser)

    login(browser, base_url, "zhihui", one_time)
    change_password(browser, one_time, POLICE_PASSWORD)

    # This month's sample, then a call recorded in a few clicks.
    browser.get(f"{base_url}/checks/phone")
    submit(browser, "form.filters button")
    wait_text(browser, "开始拨打")
    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.LINK_TEXT, "开始拨打").click()
    WebDriverWait(browser, 10).until(lambda b: _stale(old))
    unit = browser.find_element(By.TAG_NAME, "h1").text.split(":")[-1]
    for _ in range(3):
        browser.find_element(By.XPATH, "//button[text()='未接通']").click()
    assert len(browser.find_elements(By.CSS_SELECTOR, "#attempts li")) == 3
    shot(browser, "phone-call")
    submit(browser, "#call-form button[type=submit]")
    wait_text(browser, "电话检查:")
    browser.get(f"{base_url}/findings?source=phone")
    wait_text(browser, "共 1 条")
    assert unit in browser.page_source
    assert "D8" in browser.page_source

    # A drill: summon two units, one arrives at a tap.
    browser.get(f"{base_url}/checks/drills")
    browser.find_element(By.ID, "scenario").send_keys("模拟:树木倒伏阻断交通")
    units = Select(browser.find_element(By.ID, "units"))
    units.select_by_visible_text("市本级 市建设局")
    units.select_by_visible_text("市本级 丽水军分区")
    submit(browser, "form.grid button[type=submit]")
    wait_text(browser, "结束检查")
    assert "统一制服免着背心" in browser.page_source
    submit(browser, "button.tap")
    wait_text(browser, "到达")
    shot(browser, "drill")
    submit(browser, "form[action$='/finish'] button")
    wait_text(browser, "检查已结束")
    assert "丽水军分区" in browser.find_element(By.TAG_NAME, "ul").text
