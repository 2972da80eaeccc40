#!/usr/bin/env python3
"""HTTP steps of scripts/package-test, as a person with a browser and an authenticator app.
Python 3 standard library only.

  package_client.py first  URL ONE_TIME_PASSWORD NEW_PASSWORD STATE VERSION
      the login page and /health; the administrator's first sign-in: the forced password
      change, the second factor's enrolment, then a signed-in page showing VERSION
  package_client.py again  URL NEW_PASSWORD STATE VERSION
      after a restart: /health, sign-in with password and code, a signed-in page
STATE is a JSON file keeping the TOTP secret and the last step used between the two.
"""

import base64
import hashlib
import hmac
import http.cookiejar
import json
import re
import struct
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def fail(message):
    sys.exit(f"package-test: {message}")


class Browser:
    def __init__(self, base):
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path):
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path, fields):
        data = urllib.parse.urlencode(fields).encode()
        req = urllib.request.Request(self.base + path, data=data,
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        return self._open(req)

    def _open(self, req):
        try:
            with self.opener.open(req, timeout=60) as res:
                return res.status, res.geturl(), res.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            return e.code, e.geturl(), e.read().decode("utf-8", "replace")


def field(html, name):
    m = re.search(r'name="%s"[^>]*value="([^"]*)"' % re.escape(name), html) \
        or re.search(r'value="([^"]*)"[^>]*name="%s"' % re.escape(name), html)
    if not m:
        fail(f"no form field {name} in the page")
    return m.group(1)


def totp(secret, step):
    mac = hmac.new(secret, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000)


def next_step(state):
    """A step the server has not seen: this one, or the next (one step of drift is accepted);
    waits for the clock rather than reuse one."""
    while True:
        now = int(time.time()) // 30
        step = max(now, state["last"] + 1)
        if step <= now + 1:
            state["last"] = step
            return step
        time.sleep(1)


def check_open_pages(b):
    status, _, html = b.get("/login")
    if status != 200 or 'name="password"' not in html or "登录" not in html:
        fail(f"GET /login: {status}")
    status, _, body = b.get("/health")
    if status != 200 or json.loads(body).get("status") != "ok":
        fail(f"GET /health: {status} {body}")
    status, _, css = b.get("/app.css")
    if status != 200 or len(css) < 100:
        fail(f"GET /app.css: {status}")
    print(f"package-test: GET /login 200, /health {body}, /app.css 200")


def sign_in(b, password):
    _, _, html = b.get("/login")
    return b.post("/login", {"username": "admin", "password": password, "next": "/", "_csrf": field(html, "_csrf")})


def signed_in_page(b, version):
    status, url, html = b.get("/units")
    if status != 200 or "/login" in url or "/account/" in url:
        fail(f"GET /units as the administrator: {status} at {url}")
    if f"系统版本 {version}" not in html:
        fail(f"the administrator's footer does not say 系统版本 {version}")
    if "市水利局" not in html:
        fail("the register page lists no units")
    print(f"package-test: signed in, GET /units 200, footer says 系统版本 {version}")


def first(url, one_time, new_password, state_path, version):
    b = Browser(url)
    check_open_pages(b)
    status, where, html = sign_in(b, one_time)
    if "/account/password" not in where:
        fail(f"first sign-in with the one-time password: {status} at {where}")
    status, where, html = b.post("/account/password", {"current": one_time, "new": new_password, "confirm": new_password,
                                                        "_csrf": field(html, "_csrf")})
    if "/account/totp" not in where:
        fail(f"after the password change: {status} at {where} (expected the enrolment of the second factor)")
    m = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html)
    if not m:
        fail("the enrolment page shows no secret")
    compact = m.group(1).replace(" ", "")
    secret = base64.b32decode(compact + "=" * (-len(compact) % 8))
    state = {"secret": compact, "last": 0}
    step = next_step(state)
    status, where, html = b.post("/account/totp", {"code": totp(secret, step), "next": "/", "_csrf": field(html, "_csrf")})
    if status != 200 or "动态口令已启用" not in html:
        fail(f"enrolling the second factor: {status} at {where}")
    with open(state_path, "w") as f:
        json.dump(state, f)
    signed_in_page(b, version)


def again(url, password, state_path, version):
    with open(state_path) as f:
        state = json.load(f)
    secret = base64.b32decode(state["secret"] + "=" * (-len(state["secret"]) % 8))
    b = Browser(url)
    check_open_pages(b)
    status, where, html = sign_in(b, password)
    if "/login/code" not in where:
        fail(f"sign-in with the new password: {status} at {where}")
    step = next_step(state)
    status, where, html = b.post("/login/code", {"code": totp(secret, step), "next": "/", "_csrf": field(html, "_csrf")})
    if "/login" in urllib.parse.urlparse(where).path:
        fail(f"the second factor's code: {status} at {where}")
    with open(state_path, "w") as f:
        json.dump(state, f)
    signed_in_page(b, version)


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "first":
        first(*sys.argv[2:])
    elif len(sys.argv) == 6 and sys.argv[1] == "again":
        again(*sys.argv[2:])
    else:
        sys.exit(__doc__)
