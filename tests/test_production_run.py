"""The production run: gunicorn with ``config.settings.production`` on loopback, requests shaped as
the TLS-terminating proxy forwards them, and the security headers and cookies on the real
responses (not on Django's test client)."""

import re
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from tests.production_server import HOST, ProductionServer

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-production-password"


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory):
    """One server for the module (collecting static files and, on SQLite, migrating take a
    while); the test database exists by then, so its address can be handed over."""
    with django_db_blocker.unblock():
        running = ProductionServer(tmp_path_factory.mktemp("production")).start()
    yield running
    running.stop()


def create_user(server: ProductionServer) -> str:
    """A signed-in person with no clinical role (the password page is theirs on every setup)."""
    if server.needs_migrate:  # SQLite: the server has its own database file
        server.manage(
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model; "
            f"get_user_model().objects.create_user('visitor', password='{PASSWORD}')",
        )
    else:
        # Hashed as production hashes (the test settings' fast hasher is not known there).
        hashed = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
        get_user_model().objects.create(username="visitor", password=hashed)
    return "visitor"


def assert_security_headers(reply, where: str) -> None:
    hsts = reply.headers.get("Strict-Transport-Security", "")
    assert "max-age=31536000" in hsts, where
    assert "includeSubDomains" in hsts, where
    policy = reply.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in policy, where
    assert "script-src 'self'" in policy, where
    assert "unsafe-inline" not in policy, where
    assert reply.headers.get("X-Content-Type-Options") == "nosniff", where
    assert reply.headers.get("Referrer-Policy") == "same-origin", where
    assert reply.headers.get("X-Frame-Options") == "DENY", where


def assert_host_cookie(set_cookie: str, name: str) -> None:
    """A __Host- cookie as the browser requires it, HttpOnly and SameSite=Lax."""
    assert set_cookie.startswith(f"{name}="), set_cookie
    attributes = {part.strip().split("=", 1)[0].lower() for part in set_cookie.split(";")[1:]}
    assert {"secure", "httponly", "path", "samesite"} <= attributes, set_cookie
    assert "domain" not in attributes, set_cookie
    assert "Path=/" in set_cookie, set_cookie
    assert "SameSite=Lax" in set_cookie, set_cookie


def test_landing_login_and_a_signed_in_page_behind_the_proxy(server):
    landing = server.request("GET", "/")
    assert landing.status == 200, server.log_text()
    assert_security_headers(landing, "landing")

    # Static files come from the manifest (hashed names) that collectstatic wrote.
    stylesheet = re.search(r'href="(/static/css/stagewise\.[0-9a-f]{12}\.css)"', landing.body)
    assert stylesheet, landing.body[:2000]
    css = server.request("GET", stylesheet.group(1))
    assert css.status == 200
    assert "max-age=315360000" in css.headers.get("Cache-Control", "")

    login = server.request("GET", "/accounts/login/")
    assert login.status == 200
    assert_security_headers(login, "login")
    csrf_cookie = login.cookies()["__Host-csrftoken"]
    assert_host_cookie(csrf_cookie, "__Host-csrftoken")

    username = create_user(server)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.body)
    assert token
    signed_in = server.request(
        "POST",
        "/accounts/login/",
        headers={
            "Cookie": csrf_cookie.split(";", 1)[0],
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"https://{HOST}/accounts/login/",
            "Origin": f"https://{HOST}",
        },
        body=urlencode(
            {
                "csrfmiddlewaretoken": token.group(1),
                "username": username,
                "password": PASSWORD,
            }
        ),
    )
    assert signed_in.status == 302, signed_in.body[:2000]
    assert_security_headers(signed_in, "login POST")
    session_cookie = signed_in.cookies()["__Host-sessionid"]
    assert_host_cookie(session_cookie, "__Host-sessionid")

    page = server.request(
        "GET", "/accounts/password_change/", headers={"Cookie": session_cookie.split(";", 1)[0]}
    )
    assert page.status == 200
    assert_security_headers(page, "signed-in page")
    assert "no-store" in page.headers.get("Cache-Control", "")


def test_plain_http_without_the_proxy_is_sent_to_https(server):
    reply = server.request("GET", "/accounts/login/?next=/pt/", https=False)
    assert reply.status == 301
    assert reply.headers["Location"] == f"https://{HOST}/accounts/login/?next=/pt/"


def test_an_unknown_host_is_refused(server):
    reply = server.request("GET", "/", headers={"Host": "evil.example"})
    assert reply.status == 400
