"""A person's path through the register, in a real browser."""
import base64
import hashlib
import hmac
import re
import struct
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait


from conftest import shot

NEW_ADMIN_PASSWORD = "Lishui-Guanli-2026"
LIAISON_PASSWORD = "Lianluo-Yuan-2026"


def wait_text(browser, text, timeout=30):
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


# What each person's authenticator app knows: the TOTP secret, the last time step used (the
# server refuses a step twice) and the recovery codes shown at enrolment.
AUTHENTICATORS = {}


def totp(secret, step):
    """RFC 6238 with the defaults authenticator apps use: HMAC-SHA1, 6 digits, 30 seconds."""
    mac = hmac.new(secret, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000)


def next_code(username):
    """A code the server has not seen: this step's, or the next one's (the server accepts one step
    of drift). Further ahead, a recovery code stands in rather than waiting."""
    app = AUTHENTICATORS[username]
    now = int(time.time()) // 30
    step = max(now, app["last"] + 1)
    if step > now + 1:
        return app["codes"].pop(), True
    app["last"] = step
    return totp(app["secret"], step), False


def enrol(browser, username, next_path="/"):
    """The enrolment page, as a person with a phone: types the secret into the app, enters the
    app's code, notes the recovery codes."""
    assert "/account/totp" in browser.current_url, browser.current_url
    shown = browser.find_element(By.ID, "totp-secret").text
    assert re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{1,4}", shown), shown
    assert browser.find_element(By.ID, "totp-uri").text.startswith("otpauth://totp/")
    compact = shown.replace(" ", "")
    secret = base64.b32decode(compact + "=" * (-len(compact) % 8))
    step = int(time.time()) // 30
    browser.find_element(By.ID, "code").send_keys(totp(secret, step))
    submit(browser, "form.grid button[type=submit]")
    codes = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#recovery-codes code")]
    assert len(codes) == 10, browser.page_source
    AUTHENTICATORS[username] = {"secret": secret, "last": step, "codes": codes}
    shot(browser, f"totp-codes-{username}")
    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.ID, "continue").click()
    WebDriverWait(browser, 10).until(lambda b: _stale(old))


def login(browser, base_url, username, password):
    browser.get(f"{base_url}/login")
    browser.find_element(By.ID, "username").clear()
    browser.find_element(By.ID, "username").send_keys(username)
    browser.find_element(By.ID, "password").send_keys(password)
    submit(browser, "form.grid button[type=submit]")
    if "/login/code" in browser.current_url and username in AUTHENTICATORS:
        code, recovery = next_code(username)
        browser.find_element(By.ID, "code").send_keys(code)
        submit(browser, "form.grid button[type=submit]")
        if recovery:
            assert "该恢复码已作废" in browser.page_source
        assert "/login" not in browser.current_url, browser.page_source


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
    assert "首次登录或密码被重置后，须先设置自己的密码" in browser.page_source
    shot(browser, "password-change")
    change_password(browser, admin_password, NEW_ADMIN_PASSWORD)

    # An administrator must have a second factor before anything else.
    browser.get(f"{base_url}/units")
    assert "/account/totp" in browser.current_url
    assert "系统管理员须启用动态口令" in browser.page_source
    shot(browser, "totp-enrol")
    browser.find_element(By.ID, "code").send_keys("000000")
    submit(browser, "form.grid button[type=submit]")
    assert "动态口令不正确" in browser.page_source
    enrol(browser, "admin")
    assert "联动单位登记册" in browser.page_source
    browser.get(f"{base_url}/")
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
    assert "登记联系方式变更（报备）" in browser.page_source

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
    # The password, then the code; the code just used is refused the next time, in Chinese.
    login(browser, base_url, "admin", NEW_ADMIN_PASSWORD)
    logout(browser)
    browser.get(f"{base_url}/login")
    browser.find_element(By.ID, "username").send_keys("admin")
    browser.find_element(By.ID, "password").send_keys(NEW_ADMIN_PASSWORD)
    submit(browser, "form.grid button[type=submit]")
    assert "/login/code" in browser.current_url
    app = AUTHENTICATORS["admin"]
    browser.find_element(By.ID, "code").send_keys(totp(app["secret"], app["last"]))
    submit(browser, "form.grid button[type=submit]")
    assert "该动态口令已经用过" in browser.page_source
    shot(browser, "login-code")
    code, _ = next_code("admin")
    browser.find_element(By.ID, "code").send_keys(code)
    submit(browser, "form.grid button[type=submit]")
    browser.get(f"{base_url}/admin/audit")
    assert "链完整" in browser.page_source
    assert "contact.report" in browser.page_source
    assert "totp.enrol" in browser.page_source
    assert "totp.failure" in browser.page_source
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
    enrol(browser, "zhihui")

    # This month's sample, then a call recorded in a few clicks. A unit of the sample whose
    # number the register lacks cannot be called: the officer registers it first.
    browser.get(f"{base_url}/checks/phone")
    submit(browser, "form.filters button")
    wait_text(browser, "抽查名单")
    if not browser.find_elements(By.LINK_TEXT, "开始拨打"):
        old = browser.find_element(By.TAG_NAME, "html")
        browser.find_element(By.LINK_TEXT, "核实补登").click()
        WebDriverWait(browser, 10).until(lambda b: _stale(old))
        browser.find_element(By.ID, "duty_phone").send_keys("0578-2654321")
        browser.find_element(By.ID, "reported_by").send_keys("指挥中心民警")
        submit(browser, "#report button[type=submit]")
        assert "报备已登记" in browser.page_source
        browser.get(f"{base_url}/checks/phone")
    wait_text(browser, "开始拨打")
    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.LINK_TEXT, "开始拨打").click()
    WebDriverWait(browser, 10).until(lambda b: _stale(old))
    unit = browser.find_element(By.TAG_NAME, "h1").text.split("：")[-1]
    for _ in range(3):
        browser.find_element(By.XPATH, "//button[text()='未接通']").click()
    assert len(browser.find_elements(By.CSS_SELECTOR, "#attempts li")) == 3
    shot(browser, "phone-call")
    submit(browser, "#call-form button[type=submit]")
    wait_text(browser, "电话检查：")
    browser.get(f"{base_url}/findings?source=phone")
    wait_text(browser, "共 1 条")
    assert unit in browser.page_source
    assert "D8" in browser.page_source

    # A drill: summon two units, one arrives at a tap. The officer's own name stands for the
    # police; the EMB's officer is named too, so it is the quarter's joint check.
    browser.get(f"{base_url}/checks/drills")
    assert browser.find_element(By.ID, "psb_officers").get_attribute("value") == "指挥中心民警"
    browser.find_element(By.ID, "emb_officers").send_keys("应急局李科长")
    browser.find_element(By.ID, "scenario").send_keys("模拟：树木倒伏阻断交通")
    # Units are found by typing (a name, or pinyin initials) and ticked; a ticked unit stays in
    # sight when the search changes.
    search = browser.find_element(By.ID, "unit-search")
    search.send_keys("建设局")
    picks = [p for p in browser.find_elements(By.CSS_SELECTOR, "label.pick") if p.is_displayed()]
    assert [p.text.strip() for p in picks if "市本级" in p.text] == ["市本级 市建设局"]
    picks[[p.text.strip() for p in picks].index("市本级 市建设局")].click()
    search.clear()
    search.send_keys("lsjfq")
    [p for p in browser.find_elements(By.CSS_SELECTOR, "label.pick") if p.is_displayed() and "丽水军分区" in p.text][0].click()
    assert "市本级 市建设局" in [p.text.strip() for p in browser.find_elements(By.CSS_SELECTOR, "label.pick") if p.is_displayed()]
    assert browser.find_element(By.ID, "unit-count").text == "已选 2 个"
    shot(browser, "drill-picker")
    submit(browser, "form.grid button[type=submit]")
    wait_text(browser, "结束检查")
    assert "统一制服免着背心" in browser.page_source
    assert "共同参加，计入本季度联合检查" in browser.page_source
    submit(browser, "button.tap")
    wait_text(browser, "到达")
    shot(browser, "drill")
    assert_fits(browser, "drill")

    # Ending asks first, on a page of its own; without the box ticked the browser does not send it.
    submit(browser, "form.end button")
    wait_text(browser, "我已核对以上情况")
    assert "丽水军分区" in browser.find_element(By.CSS_SELECTOR, "section.confirm").text
    assert_fits(browser, "drill-finish")
    browser.find_element(By.ID, "confirm-finish").click()
    assert "/finish" in browser.current_url and "检查已结束" not in browser.page_source
    browser.find_element(By.NAME, "confirm").click()
    submit(browser, "#confirm-finish")
    wait_text(browser, "检查已结束")
    assert "丽水军分区" in browser.find_element(By.CSS_SELECTOR, "ul.findings").text
    # Frozen: no clocks, no arrival buttons; a correction goes through the amendment page.
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-since]")
    assert not browser.find_elements(By.CSS_SELECTOR, "button.tap")
    assert browser.find_element(By.LINK_TEXT, "更正检查记录")
    shot(browser, "drill-ended")

    # A provincial notice (D11) against a county government, from the findings page.
    browser.get(f"{base_url}/findings")
    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.LINK_TEXT, "登记省通报扣分").click()
    WebDriverWait(browser, 10).until(lambda b: _stale(old))
    browser.find_element(By.ID, "number").send_keys("浙应联〔2026〕5号")
    date = browser.find_element(By.ID, "date")
    browser.execute_script("arguments[0].value = '2026-05-10';", date)
    Select(browser.find_element(By.ID, "subject")).select_by_visible_text("龙泉市人民政府")
    browser.find_element(By.ID, "points").send_keys("1.5")
    browser.find_element(By.ID, "text").send_keys("汛期县级联动响应迟缓")
    submit(browser, "#provincial button[type=submit]")
    wait_text(browser, "已登记，拟扣3.0分")
    assert "龙泉市人民政府被省通报扣1.5分（浙应联〔2026〕5号），按规定按二倍扣3.0分" in browser.page_source
    shot(browser, "provincial")
    assert_fits(browser, "provincial")
    browser.get(f"{base_url}/deductions")
    assert "龙泉市" in browser.page_source and "3.0" in browser.page_source


def assert_fits(browser, name):
    """The page at a phone's width (390 px) needs no sideways scrolling; then back to 1366×768."""
    browser.set_window_size(390, 844)
    try:
        width = browser.execute_script("return document.documentElement.scrollWidth;")
        inner = browser.execute_script("return window.innerWidth;")
        shot(browser, f"{name}-phone")
        assert width <= inner, f"{name}: {width} px wide on a {inner} px screen"
    finally:
        browser.set_window_size(1366, 768)


def _names(browser):
    """The register's unit names as shown, in table order (the 不排名 tag left out)."""
    cells = browser.find_elements(By.CSS_SELECTOR, "table.list tbody tr td:nth-child(2) a")
    return [c.text for c in cells]


def test_5_a_click_on_a_heading_resorts_the_register(browser, base_url):
    login(browser, base_url, "admin", NEW_ADMIN_PASSWORD)
    browser.get(f"{base_url}/units?jurisdiction=city")
    before = _names(browser)
    assert len(before) == 46

    # The first Tab reaches the skip link, which leads past the menu to the page itself.
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    skip = browser.switch_to.active_element
    assert skip.text == "跳到正文", skip.text
    skip.send_keys(Keys.ENTER)
    assert browser.switch_to.active_element.get_attribute("id") == "main"

    # The heading is a link: a click sorts by name (pinyin order), keeping the filter.
    heading = browser.find_element(By.XPATH, "//thead//a[starts-with(normalize-space(.), '单位名称')]")
    old = browser.find_element(By.TAG_NAME, "html")
    heading.click()
    WebDriverWait(browser, 10).until(lambda b: _stale(old))
    th = browser.find_element(By.XPATH, "//thead//th[@aria-sort]")
    assert th.get_attribute("aria-sort") == "ascending"
    assert "单位名称" in th.text and "▲" in th.text
    assert "jurisdiction=city" in browser.current_url
    ascending = _names(browser)
    assert sorted(ascending) == sorted(before) and ascending != before
    assert ascending.index("丽水军分区") < ascending.index("市水利局") < ascending.index("市卫生健康委")
    shot(browser, "units-sorted")

    # From the keyboard: Enter on the focused heading reverses the order.
    heading = browser.find_element(By.XPATH, "//thead//a[starts-with(normalize-space(.), '单位名称')]")
    old = browser.find_element(By.TAG_NAME, "html")
    heading.send_keys(Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda b: _stale(old))
    assert browser.find_element(By.XPATH, "//thead//th[@aria-sort]").get_attribute("aria-sort") == "descending"
    assert _names(browser) == list(reversed(ascending))

    # Search by pinyin initials.
    browser.find_element(By.NAME, "q").send_keys("sslj")
    submit(browser, "form.filters button")
    assert _names(browser) == ["市水利局"]
