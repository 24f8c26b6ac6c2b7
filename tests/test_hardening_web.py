"""Issue 12's web findings: secrets and sessions (3), redirects (7), logins (8), url_for parameters (10),
the public base URL behind a proxy (11), and the per-address rate limit, each against the real app and store."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from flask.sessions import SecureCookieSessionInterface

from cli import main
from settings import ConfigError, load_config
from store import Store, now
from tests.conftest import ROOT, shared
from tests.test_web import catalogue, first_id  # noqa: F401  (the shared sample catalogue)
from web import create_app
from web.auth import hash_password
from werkzeug.security import generate_password_hash

PASSWORD = "correct horse battery"
# test accounts keep a cheap scrypt cost in their hash (verification follows the stored cost), for speed;
# the cost test below uses the real one
CHEAP = "scrypt:1024:8:1"
STRONG_KEY = "k" * 16 + "9f2c1e7a5b3d4c6e8f0a1b2c3d4e5f60"


def configured(config, store_url: str | None = None, **web):
    """`config` with another store and some web settings changed."""
    return replace(config, store_url=store_url or config.store_url, web=replace(config.web, **web))


@pytest.fixture
def accounts(tmp_path):
    """A fresh store with the staff account anna."""
    with Store(f"sqlite:///{tmp_path / 'staff.sqlite'}", migrate=True) as opened:
        opened.set_staff_password("anna", cheap_hash(PASSWORD))
        yield opened


def cheap_hash(password: str) -> str:
    return generate_password_hash(password, CHEAP)


@pytest.fixture
def staff_app(catalogue, accounts):  # noqa: F811
    """The sample catalogue's index served with the fresh staff store."""
    return create_app(configured(catalogue, accounts.url))


def token(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def login(client, username="anna", password=PASSWORD, address="192.0.2.1", query=""):
    client.environ_base["REMOTE_ADDR"] = address
    form = client.get("/staff/login")
    return client.post(f"/staff/login{query}", data={"csrf_token": token(form), "username": username,
                                                     "password": password})


def staff_page_status(client, cluster: str = "any") -> int:
    return client.get(f"/staff/record/{cluster}").status_code


# --- finding 3: secrets and sessions -------------------------------------------------------------------------


def serve_config(catalogue, tmp_path, secret_key: str | None) -> Path:  # noqa: F811
    data = {"store": catalogue.store_url, "index": str(catalogue.index_dir), "sources": [],
            "web": {} if secret_key is None else {"secret_key": secret_key}}
    path = tmp_path / f"serve-{len(list(tmp_path.iterdir()))}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unioncat(*args, env=None) -> subprocess.Popen:
    environment = {k: v for k, v in os.environ.items() if k != "UNIONCAT_SECRET_KEY"} | (env or {})
    return subprocess.Popen([sys.executable, "-c", "from cli import main; main()", *args], cwd=ROOT, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


REFUSED_KEYS = [(None, "no secret key"), ("change-me", "well-known"), ("development", "well-known"),
                ("x7Gq2", "too short (5 bytes"), ("a" * 31, "too short (31 bytes")]


@pytest.mark.parametrize("secret_key, reason", REFUSED_KEYS)
def test_finding_03_serve_refuses_a_missing_shipped_short_or_well_known_key_with_exit_2(
        catalogue, tmp_path, monkeypatch, secret_key, reason):  # noqa: F811
    monkeypatch.delenv("UNIONCAT_SECRET_KEY", raising=False)
    with socket.socket() as occupied:           # a served app could not bind: no test can hang in a server
        occupied.bind(("127.0.0.1", 0))
        occupied.listen()
        result = CliRunner().invoke(main, ["--config", str(serve_config(catalogue, tmp_path, secret_key)), "serve",
                                           "--port", str(occupied.getsockname()[1])])
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())
    assert reason in output and "web.secret_key" in output and "UNIONCAT_SECRET_KEY" in output, output
    assert "secrets.token_hex(32)" in output and result.exc_info[0] is SystemExit, output


def test_finding_03_serve_starts_with_a_strong_key_from_the_environment(catalogue, tmp_path):  # noqa: F811
    port = free_port()
    process = unioncat("--config", str(serve_config(catalogue, tmp_path, "change-me")), "serve", "--port", str(port),
                       env={"UNIONCAT_SECRET_KEY": STRONG_KEY})
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert process.poll() is None, process.communicate()[0]
                assert time.monotonic() < deadline, "serve did not answer within 30 s"
                time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)     # a loaded machine stops gunicorn slowly


def test_finding_03_the_demo_makes_its_own_key_only_on_a_loopback_address(catalogue):  # noqa: F811
    from cli.pipeline import demo_secret
    from settings import require_secret_key

    shipped = configured(catalogue, secret_key="change-me")
    for host in ("127.0.0.1", "localhost", "::1"):
        made = demo_secret(shipped, host).web.secret_key
        require_secret_key(demo_secret(shipped, host).web)
        assert made != demo_secret(shipped, host).web.secret_key     # random each run
    for host in ("0.0.0.0", "192.0.2.5", "katalog.example.org"):
        with pytest.raises(ConfigError, match="UNIONCAT_SECRET_KEY"):
            require_secret_key(demo_secret(shipped, host).web)
    strong = configured(catalogue, secret_key=STRONG_KEY)
    assert demo_secret(strong, "127.0.0.1").web.secret_key == STRONG_KEY


def forged_cookie(app, data: dict) -> str:
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    return serializer.dumps(data)


def test_finding_03_a_signed_session_for_an_account_that_does_not_exist_opens_nothing(staff_app):
    client = staff_app.test_client()
    for data in ({"staff": "anyone"}, {"staff": "anyone", "staff_version": 1}, {"staff": "anna"}):
        client.set_cookie("session", forged_cookie(staff_app, data))
        assert staff_page_status(client) == 302, data


def test_finding_03_removing_an_account_ends_its_sessions_at_once_even_if_the_name_returns(staff_app, accounts):
    client = staff_app.test_client()
    assert login(client).status_code == 302
    assert staff_page_status(client) == 404            # logged in: an unknown cluster, not the login page
    assert accounts.remove_staff("anna")
    assert staff_page_status(client) == 302
    accounts.set_staff_password("anna", cheap_hash(PASSWORD))
    assert staff_page_status(client) == 302            # the old session stays dead for the new account
    assert login(client).status_code == 302 and staff_page_status(client) == 404


def test_finding_03_a_password_change_ends_earlier_sessions(staff_app, accounts):
    client, other = staff_app.test_client(), staff_app.test_client()
    assert login(client).status_code == 302 and login(other).status_code == 302
    accounts.set_staff_password("anna", cheap_hash("another long password"))
    assert staff_page_status(client) == 302 and staff_page_status(other) == 302
    assert login(client, password="another long password").status_code == 302
    assert staff_page_status(client) == 404


def session_cookie(response) -> str:
    return next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))


def test_finding_03_cookies_are_httponly_lax_and_secure_when_the_public_address_is_https(catalogue, accounts):  # noqa: F811
    plain = create_app(configured(catalogue, accounts.url)).test_client()
    cookie = session_cookie(login(plain))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    https = create_app(configured(catalogue, accounts.url, public_base_url="https://katalog.example.org/"))
    client = https.test_client()
    cookie = session_cookie(login(client))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    preferences = client.get("/preferences?mylib=duke&lang=sv&next=/").headers.getlist("Set-Cookie")
    assert preferences and all("Secure" in c and "HttpOnly" in c for c in preferences)


# --- finding 7: safe redirects -------------------------------------------------------------------------------

HOSTILE_TARGETS = ["//evil.example/", "/%09/evil.example", "/%5Cevil.example", "/\\evil.example", "%2F%2Fevil.example",
                   "https://evil.example/", "javascript:alert(1)", "/%0d%0aSet-Cookie:%20x=1", "/a%0ab", "/%00x",
                   "/%7F", "%20//evil.example", "///evil.example", "/" + "a" * 3000]


def test_finding_07_preferences_go_back_only_to_a_path_on_this_site(catalogue):  # noqa: F811
    client = create_app(catalogue).test_client()
    answers = {target: client.get(f"/preferences?mylib=duke&next={target}") for target in HOSTILE_TARGETS}
    assert {t: (r.status_code, r.headers.get("Location")) for t, r in answers.items()} == {
        t: (303, "/") for t in HOSTILE_TARGETS}


def test_finding_07_staff_login_goes_on_only_to_a_path_on_this_site(staff_app):
    answers = {target: login(staff_app.test_client(), query=f"?next={target}") for target in HOSTILE_TARGETS}
    assert {t: (r.status_code, r.headers.get("Location")) for t, r in answers.items()} == {
        t: (302, "/staff/") for t in HOSTILE_TARGETS}                  # the staff workspace's home (issue 13)


def test_finding_07_a_path_on_this_site_is_kept_with_its_query(staff_app):
    client = staff_app.test_client()
    assert login(client, query="?next=/staff/record/x%3Fa%3D1").headers["Location"] == "/staff/record/x?a=1"
    assert client.get("/preferences?next=/%3Fq%3Dart%26page%3D2").headers["Location"] == "/?q=art&page=2"


# --- finding 8: login throttling, equal hashing cost, log and audit lines ------------------------------------


def throttled_app(catalogue, accounts, **settings):  # noqa: F811
    from settings import LoginThrottleSettings

    policy = LoginThrottleSettings(**{"max_failures": 5, "window": 900, "lockout": 900, **settings})
    return create_app(configured(catalogue, accounts.url, login_throttle=policy))


def test_finding_08_five_wrong_passwords_lock_the_account_from_every_address(catalogue, accounts):  # noqa: F811
    client = throttled_app(catalogue, accounts).test_client()
    for attempt in range(5):
        assert login(client, password=f"guess {attempt}", address=f"198.51.100.{attempt}").status_code == 401
    locked = login(client, address="198.51.100.77")
    assert locked.status_code == 429 and "Too many failed logins" in locked.get_data(as_text=True)
    assert staff_page_status(client) == 302
    swedish = client.post("/staff/login?lang=sv", data={"csrf_token": token(client.get("/staff/login")),
                                                          "username": "anna", "password": PASSWORD})
    assert "För många misslyckade inloggningar" in swedish.get_data(as_text=True)


def test_finding_08_the_lockout_ends_by_itself(catalogue, accounts):  # noqa: F811
    client = throttled_app(catalogue, accounts, max_failures=2, lockout=1).test_client()
    assert [login(client, password="wrong").status_code for _ in range(2)] == [401, 401]
    assert login(client).status_code == 429
    time.sleep(1.2)
    assert login(client).status_code == 302 and staff_page_status(client) == 404


def test_finding_08_one_address_trying_many_names_is_locked_but_others_are_not(catalogue, accounts):  # noqa: F811
    for name in ("b", "c", "d", "e"):
        accounts.set_staff_password(name, cheap_hash(PASSWORD))
    client = throttled_app(catalogue, accounts).test_client()
    for name in ("anna", "b", "c", "d", "e"):
        assert login(client, username=name, password="wrong", address="203.0.113.9").status_code == 401
    assert login(client, address="203.0.113.9").status_code == 429
    assert login(client, address="203.0.113.10").status_code == 302


def test_finding_08_counts_live_in_the_store_so_every_worker_sees_them(catalogue, accounts):  # noqa: F811
    first, second = (throttled_app(catalogue, accounts).test_client() for _ in range(2))
    for attempt in range(5):
        worker = first if attempt % 2 else second
        assert login(worker, password="wrong", address=f"198.51.100.{attempt}").status_code == 401
    assert login(first, address="198.51.100.50").status_code == 429
    assert login(second, address="198.51.100.51").status_code == 429
    with Store(accounts.url) as other_process:
        assert other_process.login_locked_until("staff", "anna") > now()


def test_finding_08_a_successful_login_forgets_the_accounts_failures(catalogue, accounts):  # noqa: F811
    client = throttled_app(catalogue, accounts, max_failures=3).test_client()
    for round_ in range(3):
        assert [login(client, password="wrong", address=f"198.51.100.{round_ * 2 + i}").status_code
                for i in range(2)] == [401, 401]
        assert login(client, address=f"198.51.100.{100 + round_}").status_code == 302


def test_finding_08_the_throttle_service_counts_within_the_window_and_unlocks_after_the_lockout(accounts):
    from settings import LoginThrottleSettings
    from web.throttle import LoginThrottle

    clock = [now()]
    throttle = LoginThrottle(accounts, LoginThrottleSettings(max_failures=3, window=60, lockout=300),
                             clock=lambda: clock[0])
    keys = [("patron", "card-1"), ("address", "192.0.2.44")]
    assert throttle.failed(keys) is False and throttle.failed(keys) is False
    clock[0] += timedelta(seconds=61)                    # the first two fall out of the window
    assert throttle.failed(keys) is False and throttle.locked_for(keys) == 0
    assert throttle.failed(keys) is False and throttle.failed(keys) is True
    assert throttle.locked_for(keys) == 300
    clock[0] += timedelta(seconds=200)
    assert throttle.locked_for(keys) == 100 and throttle.failed(keys) is False    # not extended while locked
    clock[0] += timedelta(seconds=101)
    assert throttle.locked_for(keys) == 0
    throttle.succeeded(("patron", "card-1"))
    assert accounts.login_locked_until("patron", "card-1") is None
    assert accounts.login_locked_until("address", "192.0.2.44") is not None


def test_finding_08_an_unknown_name_costs_the_same_hashing_as_a_known_one(staff_app, accounts, monkeypatch):
    real_scrypt, calls = hashlib.scrypt, []

    def counting_scrypt(*args, **kwargs):
        calls.append(kwargs.get("n"))
        return real_scrypt(*args, **kwargs)

    accounts.set_staff_password("anna", hash_password(PASSWORD))           # the production cost
    client = staff_app.test_client()
    login(client, username="nobody", password="wrong", address="192.0.2.60")     # any one-off set-up happens here
    monkeypatch.setattr(hashlib, "scrypt", counting_scrypt)
    costs = {}
    for name in ("anna", "nobody"):
        calls.clear()
        assert login(client, username=name, password="wrong", address="192.0.2.61").status_code == 401
        costs[name] = list(calls)
    assert costs["anna"] == costs["nobody"] and len(costs["anna"]) == 1, costs


def test_finding_08_failed_logins_are_logged_and_staff_writes_are_audited(caplog, tmp_path):
    config = corrections_catalogue(tmp_path)
    with Store(config.store_url) as store:
        store.set_staff_password("anna", cheap_hash(PASSWORD))
    client = create_app(config).test_client()
    caplog.set_level(logging.INFO, logger="unioncat")
    assert login(client, password="wrong", address="192.0.2.70").status_code == 401
    failed = [r for r in caplog.records if r.name == "unioncat.security"]
    assert len(failed) == 1 and failed[0].levelno == logging.WARNING
    assert "'anna'" in failed[0].getMessage() and "192.0.2.70" in failed[0].getMessage()
    assert PASSWORD not in caplog.text and "wrong" not in failed[0].getMessage().split("reason=")[0]
    assert login(client, address="192.0.2.70").status_code == 302
    cluster = client.get("/api/search?q=polisbilen").get_json()["hits"][0]["id"]
    page = client.get(f"/staff/record/{cluster}")
    assert confirmed(client, f"/staff/preview/split?record=beta:20203738").status_code == 302      # issue 13
    with Store(config.store_url) as store:    # the web does not index the split: the next index run does
        split_off = next(c for c in map(store.resolve_cluster, ("alpha:20203738", "beta:20203738")) if c != cluster)
    assert confirmed(client, f"/staff/preview/merge?a={cluster}&b={split_off}").status_code == 302
    assert client.post("/staff/logout", data={"csrf_token": token(page)}).status_code == 302
    audit = [r.getMessage() for r in caplog.records if r.name == "unioncat.audit"]
    assert [re.search(r"action=(\w+)", line).group(1) for line in audit] == ["login", "split", "merge", "logout"]
    assert all("staff='anna'" in line and "address=192.0.2.70" in line for line in audit), audit
    assert "record='beta:20203738'" in audit[1] and f"other='{split_off}'" in audit[2]


def confirmed(client, preview_path: str):
    """Confirm the correction previewed at `preview_path`, as the preview page's form does."""
    preview = client.get(preview_path)
    state = re.search(r'name="token" value="([^"]+)"', preview.get_data(as_text=True)).group(1)
    return client.post("/staff/confirm", data={"token": state, "csrf_token": token(preview)})


def corrections_catalogue(folder):
    """Two members holding one Libris edition, harvested, deduplicated and indexed."""
    for code, relative in (("alpha", "libris/batchimport/batch2.xml"), ("beta", "libris/batchimport/batch3.xml")):
        (folder / code).mkdir()
        shutil.copy(shared(relative), folder / code / "records.xml")
    sources = "".join(f"  - {{code: {c}, name: {c.title()}, type: file, path: {c}/*.xml}}\n" for c in ("alpha", "beta"))
    (folder / "config.yaml").write_text(f"store: store.sqlite\nindex: index\nsources:\n{sources}")
    result = CliRunner().invoke(main, ["--config", str(folder / "config.yaml"), "nightly"])
    assert result.exit_code in (0, 1), result.output
    return load_config(folder / "config.yaml")


# --- finding 10: only named parameters reach url_for ---------------------------------------------------------


def test_finding_10_the_record_redirect_carries_only_the_parameters_the_route_names(catalogue):  # noqa: F811
    client = create_app(catalogue).test_client()
    cluster = client.get("/api/records/extra:7419795x2").headers["Location"].rsplit("/", 1)[1]
    hostile = "endpoint=x&any_id=y&_method=POST&_anchor=evil&_external=1&_scheme=javascript&big=" + "x" * 100_000
    for query in (hostile, hostile + "&explain=1"):
        response = client.get(f"/api/records/extra:7419795x2?{query}")
        assert response.status_code == 301, response.get_data(as_text=True)[:300]
        location = response.headers["Location"]
        expected = f"/api/records/{cluster}" + ("?explain=1" if query.endswith("explain=1") else "")
        assert location == expected, location[:300]
    followed = client.get(f"/api/records/extra:7419795x2?{hostile}&explain=1", follow_redirects=True)
    assert followed.status_code == 200 and "evidence" in followed.get_json()


# --- finding 11: the public base URL, not the Host header ----------------------------------------------------


def record_page(client, cluster: str, host: str) -> str:
    return client.get(f"/record/{cluster}", headers={"Host": host}).get_data(as_text=True)


def test_finding_11_permalinks_json_ld_and_opensearch_use_the_public_base_url_not_the_host(catalogue):  # noqa: F811
    app = create_app(configured(catalogue, public_base_url="https://katalog.example.org/"))
    client = app.test_client()
    cluster = first_id(client, "q=beyond+the+crisis+in+art")
    html = record_page(client, cluster, "evil.example")
    assert "evil.example" not in html
    assert f'"@id": "https://katalog.example.org/record/{cluster}"' in html.replace("\\u002f", "/")
    assert f'<link rel="canonical" href="https://katalog.example.org/record/{cluster}">' in html
    ris = client.get(f"/record/{cluster}/export.ris", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert f"UR  - https://katalog.example.org/record/{cluster}" in ris
    opensearch = client.get("/opensearch.xml", headers={"Host": "evil.example"}).get_data(as_text=True)
    templates = re.findall(r'template="([^"]+)"', opensearch)
    assert templates and all(t.startswith("https://katalog.example.org/") for t in templates), templates


def test_finding_11_without_a_public_base_url_a_foreign_host_gets_relative_links(catalogue):  # noqa: F811
    client = create_app(catalogue).test_client()
    cluster = first_id(client, "q=beyond+the+crisis+in+art")
    html = record_page(client, cluster, "evil.example")
    assert "evil.example" not in html and f'<link rel="canonical" href="/record/{cluster}">' in html
    opensearch = client.get("/opensearch.xml", headers={"Host": "evil.example:8080"}).get_data(as_text=True)
    assert "evil.example" not in opensearch and 'template="/?q={searchTerms}' in opensearch
    local = record_page(client, cluster, "localhost:5000")          # the demo on loopback: absolute links
    assert f'<link rel="canonical" href="http://localhost:5000/record/{cluster}">' in local


def test_finding_11_a_public_base_url_with_a_path_prefixes_every_absolute_link(catalogue):  # noqa: F811
    client = create_app(configured(catalogue, public_base_url="https://example.org/katalog")).test_client()
    cluster = first_id(client, "q=beyond+the+crisis+in+art")
    assert f'href="https://example.org/katalog/record/{cluster}"' in record_page(client, cluster, "x")
    opensearch = client.get("/opensearch.xml").get_data(as_text=True)
    assert 'template="https://example.org/katalog/api/search?q={searchTerms}' in opensearch


def test_finding_11_hsts_only_when_the_public_base_url_is_https(catalogue):  # noqa: F811
    https = create_app(configured(catalogue, public_base_url="https://katalog.example.org/")).test_client()
    assert https.get("/").headers["Strict-Transport-Security"].startswith("max-age=")
    plain = create_app(configured(catalogue, public_base_url="http://katalog.example.org/")).test_client()
    assert "Strict-Transport-Security" not in plain.get("/").headers


def test_finding_11_forwarded_headers_are_believed_only_from_configured_proxies(catalogue, accounts):  # noqa: F811
    from settings import LoginThrottleSettings

    policy = LoginThrottleSettings(max_failures=2)
    behind = create_app(configured(catalogue, accounts.url, trusted_proxies=1, login_throttle=policy)).test_client()
    forwarded = {"X-Forwarded-For": "203.0.113.50", "X-Forwarded-Proto": "https"}
    assert behind.get("/", headers=forwarded).headers.get("Strict-Transport-Security")
    for _ in range(2):
        behind.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.50"
        assert login(behind, password="wrong", address="127.0.0.1").status_code == 401
    accounts.set_staff_password("b", cheap_hash(PASSWORD))
    assert login(behind, username="b", address="127.0.0.1").status_code == 429     # the client's address is locked...
    behind.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.51"
    assert login(behind, username="b", address="127.0.0.1").status_code == 302     # ...not every client of the proxy
    direct = create_app(configured(catalogue, accounts.url, login_throttle=policy)).test_client()
    assert "Strict-Transport-Security" not in direct.get("/", headers=forwarded).headers
    direct.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.60"
    assert login(direct, username="b", password="wrong", address="192.0.2.80").status_code == 401
    direct.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.61"           # a forged header changes nothing
    assert login(direct, username="b", password="wrong", address="192.0.2.80").status_code == 401
    assert login(direct, address="192.0.2.80").status_code == 429


@pytest.mark.parametrize("value", ["javascript:alert(1)", "katalog.example.org", "https://x.org/?a=1", "ftp://x.org/"])
def test_finding_11_a_public_base_url_that_is_not_an_http_address_is_a_config_error(write_config, value):
    with pytest.raises(ConfigError, match="public_base_url"):
        write_config([], web={"public_base_url": value})


# --- the per-address rate limit on the search API and the exports ---------------------------------------------


def test_rate_limit_the_search_api_answers_429_with_translated_json_after_the_limit(catalogue):  # noqa: F811
    client = create_app(configured(catalogue, rate_limit="3 per minute")).test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.90"
    assert [client.get("/api/search?q=art").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/search?q=art&lang=pl")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert refused.get_json()["error"].startswith("Zbyt wiele zapytań z Twojego adresu")
    client.environ_base["REMOTE_ADDR"] = "192.0.2.91"
    assert client.get("/api/search?q=art").status_code == 200              # another address is not limited


def test_rate_limit_exports_answer_a_translated_page_after_the_limit(catalogue):  # noqa: F811
    client = create_app(configured(catalogue, rate_limit="2 per minute")).test_client()
    cluster = first_id(client, "q=beyond+the+crisis+in+art")
    client.environ_base["REMOTE_ADDR"] = "192.0.2.92"
    assert [client.get(f"/record/{cluster}/export.ris").status_code for _ in range(2)] == [200, 200]
    refused = client.get(f"/record/{cluster}/export.bib?lang=nb")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429 and "For mange forespørsler" in html and "<h1>" in html
    assert client.get(f"/record/{cluster}").status_code == 200              # reading the record stays open
    assert client.get("/").status_code == 200


def test_rate_limit_is_configurable_and_can_be_switched_off(write_config, catalogue):  # noqa: F811
    assert write_config([], web={"rate_limit": "10/second"}).web.rate_limit == "10/second"
    assert write_config([], web={"rate_limit": "off"}).web.rate_limit is None
    with pytest.raises(ConfigError, match="rate_limit"):
        write_config([], web={"rate_limit": "lots"})
    client = create_app(configured(catalogue, rate_limit=None)).test_client()
    assert all(client.get("/api/search?q=art").status_code == 200 for _ in range(5))


def test_finding_03_migrating_a_0_1_0_store_gives_its_accounts_a_session_version_and_a_throttle_table(tmp_path):
    from tests.test_migrations import config_for, legacy_store

    path = legacy_store(tmp_path / "old.sqlite")
    result = CliRunner().invoke(main, ["--config", str(config_for(tmp_path, path)), "migrate"])
    assert result.exit_code == 0, result.output
    with Store(f"sqlite:///{path}") as store:
        assert store.staff_usernames() == ["anna"] and store.staff_session_version("anna") == 1
        assert store.login_locked_until("staff", "anna") is None
        store.set_staff_password("anna", cheap_hash(PASSWORD))
        assert store.staff_session_version("anna") == 2
