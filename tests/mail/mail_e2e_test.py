#!/usr/bin/python3
"""E-mail end to end: watchstore-server processes, a real SMTP server
(aiosmtpd, Debian's python3-aiosmtpd) on a free loopback port, and the
messages it receives, whose links the test follows.

  register -> welcome mail -> verify-email; forgot -> reset -> old sessions
  dead -> log in with the new password; flood of resets -> rate-limited;
  checkout -> confirmation with the order's total and address; shipped with
  tracking; SMTP server stopped mid-run -> messages wait, then arrive once;
  two servers on one PostgreSQL (WATCHSTORE_TEST_POSTGRES_URL) -> each
  message delivered exactly once.

Usage: mail_e2e_test.py WATCHSTORE_SERVER_BINARY
Runs under /usr/bin/python3 (Debian's, which has aiosmtpd). Prints
"N passed, N failed" and exits non-zero on failure.
"""
import email
import email.policy
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from aiosmtpd.controller import Controller

SERVER = sys.argv[1]
DEADLINE = time.time() + 240  # the whole run is bounded


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """Every message the SMTP server accepts, parsed, in arrival order."""

    def __init__(self, folder):
        self.folder = folder
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            n = len(self.messages)
            self.messages.append((envelope.rcpt_tos, msg))
        with open(os.path.join(self.folder, f"{n:04d}.eml"), "wb") as f:
            f.write(envelope.content)
        return "250 OK"

    def to(self, address, subject_part=""):
        with self.lock:
            return [m for rcpt, m in self.messages
                    if address in rcpt and subject_part in str(m["Subject"])]

    def wait_for(self, address, subject_part, count=1, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            got = self.to(address, subject_part)
            if len(got) >= count:
                return got
            time.sleep(0.1)
        raise AssertionError(f"no mail '{subject_part}' for {address} within {timeout}s")


def text_of(msg):
    return msg.get_body(preferencelist=("plain",)).get_content()


def token_in(msg, page):
    m = re.search(re.escape(page) + r"#token=([A-Za-z0-9_-]+)", text_of(msg))
    assert m, f"no {page} link in:\n{text_of(msg)}"
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert m.group(1) in html, "the HTML part has the same link"
    assert "<script" not in html and "src=" not in html, "no scripts or remote resources"
    return m.group(1)


class Server:
    def __init__(self, workdir, database, smtp_port, name="s"):
        self.port = free_port()
        self.ops_port = free_port()
        self.log = open(os.path.join(workdir, f"{name}.log"), "wb")
        args = [SERVER, "serve", f"--listen=127.0.0.1:{self.port}", f"--database={database}",
                f"--metrics-listen=127.0.0.1:{self.ops_port}", "--access-log=off", "--insecure-cookies",
                f"--smtp-url=smtp://127.0.0.1:{smtp_port}", "--outbox-retry-base=1s",
                "--store-name=Test & Co <Watches>", "--public-url=http://shop.test",
                "--mail-from=shop@shop.test"]
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        end = time.time() + 20
        while True:
            try:
                self.call("GET", "/healthz")
                return
            except OSError:
                if self.proc.poll() is not None or time.time() > end:
                    raise AssertionError(f"server did not start; see {self.log.name}")
                time.sleep(0.1)

    def call(self, method, path, body=None, token=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data,
                                     method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                raw = r.read()
                return r.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, (json.loads(raw) if raw else None)

    def metric(self, name):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ops_port}/metrics", timeout=10) as r:
            for line in r.read().decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
        raise AssertionError(f"no {name} in /metrics")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def login(srv, address, password):
    st, body = srv.call("POST", "/api/v1/auth/login", {"email": address, "password": password})
    return st, (body or {}).get("token")


RESULTS = {"passed": 0, "failed": 0}


def case(fn):
    name = fn.__name__
    try:
        fn()
        RESULTS["passed"] += 1
        print(f"[ OK ] {name}", flush=True)
    except Exception as e:  # report and go on with the next case
        RESULTS["failed"] += 1
        print(f"[FAIL] {name}: {type(e).__name__}: {e}", flush=True)


def main():
    work = tempfile.mkdtemp(prefix="mail-e2e-")
    sink_dir = os.path.join(work, "inbox")
    os.mkdir(sink_dir)
    sink = Sink(sink_dir)
    smtp_port = free_port()
    smtp = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    controllers = [smtp]
    db = os.path.join(work, "store.db")
    seeded = subprocess.run([SERVER, "seed-demo", f"--database={db}"], capture_output=True,
                            timeout=60)
    assert seeded.returncode == 0, seeded.stderr
    admin = subprocess.run([SERVER, "create-admin", "--email=admin@example.com",
                            f"--database={db}"], capture_output=True, timeout=60,
                           env=dict(os.environ, WATCHSTORE_ADMIN_PASSWORD="admin passphrase 1"))
    assert admin.returncode == 0, admin.stderr
    pw = "correct horse battery"
    servers = []
    try:
        srv = Server(work, db, smtp_port)
        servers.append(srv)
        def register_then_verify():
            st, _ = srv.call("POST", "/api/v1/auth/register", {"email": "alice@example.com",
                                                                "password": pw})
            assert st == 202, st
            [welcome] = sink.wait_for("alice@example.com", "Welcome")
            assert welcome["Message-ID"].endswith("@watchstore>"), welcome["Message-ID"]
            assert "Test & Co <Watches>" in str(welcome["Subject"])
            html = welcome.get_body(preferencelist=("html",)).get_content()
            assert "Test &amp; Co &lt;Watches&gt;" in html, "the store name is escaped in HTML"
            token = token_in(welcome, "http://shop.test/verify-email.html")
            st, t = login(srv, "alice@example.com", pw)
            st, me = srv.call("GET", "/api/v1/auth/me", token=t)
            assert me["email_verified"] is False, me
            st, body = srv.call("POST", "/api/v1/auth/verify-email", {"token": token[:-2] + "AA"})
            assert st == 404 and body["type"] == "/problems/token_invalid", (st, body)
            promote = [SERVER, "create-admin", "--email=alice@example.com", "--promote-existing",
                       f"--database={db}"]
            refused = subprocess.run(promote, capture_output=True, timeout=60, text=True)
            assert refused.returncode != 0 and "not confirmed" in refused.stderr, refused
            st, body = srv.call("POST", "/api/v1/auth/verify-email", {"token": token})
            assert st == 200 and body["email_verified"] is True, (st, body)
            promoted = subprocess.run(promote, capture_output=True, timeout=60, text=True)
            assert promoted.returncode == 0, promoted
            st, body = srv.call("POST", "/api/v1/auth/verify-email", {"token": token})
            assert st == 409 and body["type"] == "/problems/token_used", (st, body)

        def forgot_reset_old_sessions_dead():
            _, s1 = login(srv, "alice@example.com", pw)
            _, s2 = login(srv, "alice@example.com", pw)
            st, _ = srv.call("POST", "/api/v1/auth/password-reset", {"email": "alice@example.com"})
            assert st == 202, st
            [mail] = sink.wait_for("alice@example.com", "reset your password")
            token = token_in(mail, "http://shop.test/reset-password.html")
            st, body = srv.call("POST", "/api/v1/auth/password-reset/confirm",
                                {"token": token, "password": "short"})
            assert st == 400 and body.get("field") == "password", (st, body)
            st, me = srv.call("GET", "/api/v1/auth/me", token=s1)
            assert st == 200, "a refused reset changes nothing"
            new_pw = "a brand new passphrase"
            st, body = srv.call("POST", "/api/v1/auth/password-reset/confirm",
                                {"token": token, "password": new_pw})
            assert st == 204, (st, body)
            for s in (s1, s2):
                st, _ = srv.call("GET", "/api/v1/auth/me", token=s)
                assert st == 401, "every old session is revoked"
            st, _ = login(srv, "alice@example.com", pw)
            assert st == 401, "the old password no longer works"
            st, t = login(srv, "alice@example.com", new_pw)
            assert st == 200 and t
            st, body = srv.call("POST", "/api/v1/auth/password-reset/confirm",
                                {"token": token, "password": "yet another passphrase"})
            assert st == 409 and body["type"] == "/problems/token_used", (st, body)
            sink.wait_for("alice@example.com", "password was changed")
            global PW
            PW = new_pw

        def reset_flood_is_rate_limited_and_unknown_gets_nothing():
            st, _ = srv.call("POST", "/api/v1/auth/password-reset", {"email": "nobody@example.com"})
            assert st == 202
            statuses = [srv.call("POST", "/api/v1/auth/password-reset",
                                 {"email": "alice@example.com"})[0] for _ in range(12)]
            assert statuses.count(429) >= 1, statuses
            assert all(s in (202, 429) for s in statuses), statuses
            sink.wait_for("alice@example.com", "reset your password", count=3)
            time.sleep(3)  # give the worker time to send whatever else it would
            assert len(sink.to("alice@example.com", "reset your password")) == 3, \
                "at most 3 reset mails per account an hour"
            assert sink.to("nobody@example.com") == []

        def checkout_confirmation_and_shipping():
            _, t = login(srv, "alice@example.com", PW)
            st, listing = srv.call("GET", "/api/v1/products?limit=50")
            variant = next(v["id"] for p in listing["items"] for v in p["variants"]
                           if v.get("stock", 0) >= 2)
            st, body = srv.call("POST", "/api/v1/cart/items",
                                {"variant_id": variant, "quantity": 2}, token=t)
            assert st in (200, 201), (st, body)
            shipping = {"name": "Alice Liddell", "line1": "1 Rabbit Hole", "city": "Oxford",
                        "postal_code": "OX1 1AA", "country": "GB"}
            st, order = srv.call("POST", "/api/v1/orders", {"shipping": shipping}, token=t,
                                 headers={"Idempotency-Key": "e2e-1"})
            assert st == 201, (st, order)
            number = order["number"]
            [conf] = sink.wait_for("alice@example.com", f"order {number} received")
            text = text_of(conf)
            total = order["total"]
            whole, cents = divmod(total["amount_minor"], 100)
            assert f"{whole}.{cents:02d} {total['currency']}" in text, text
            assert "Oxford" in text and "Alice Liddell" in text and "2 x " in text, text
            _, staff = login(srv, "admin@example.com", "admin passphrase 1")
            path = f"/api/v1/admin/orders/{order['id']}/status"
            st, body = srv.call("POST", path, {"status": "paid", "tracking_number": "X"},
                                token=staff)
            assert st == 400, "tracking only with shipped"
            st, body = srv.call("POST", path, {"status": "paid"}, token=staff)
            assert st == 200, (st, body)
            sink.wait_for("alice@example.com", f"payment received for {number}")
            st, _ = srv.call("POST", path, {"status": "shipped", "carrier": "DHL",
                                            "tracking_number": "JD014600006281"}, token=staff)
            assert st == 200, st
            [shipped] = sink.wait_for("alice@example.com", f"order {number} has shipped")
            assert "JD014600006281" in text_of(shipped) and "DHL" in text_of(shipped)

        def bad_input_is_a_precise_4xx_and_changes_nothing():
            cases = [
                ("/api/v1/auth/password-reset", {"email": "a@example.com", "extra": 1}, None, 400),
                ("/api/v1/auth/password-reset", {"email": "not an email"}, None, 400),
                ("/api/v1/auth/password-reset/confirm", {"password": "long enough pass"}, None, 400),
                ("/api/v1/auth/password-reset/confirm",
                 {"token": "x" * 43, "password": "long enough pass"}, None, 404),
                ("/api/v1/auth/verify-email", {"token": 5}, None, 400),
                ("/api/v1/auth/password", {"current_password": "a", "new_password": "b" * 12},
                 None, 401),
                ("/api/v1/auth/email", {"email": "x@example.com", "password": "p" * 12}, None, 401),
            ]
            for path, body, token, want in cases:
                st, problem = srv.call("POST", path, body, token=token)
                assert st == want, (path, body, st, problem)
                assert problem["type"].startswith("/problems/"), problem
            _, t = login(srv, "alice@example.com", PW)
            st, problem = srv.call("POST", "/api/v1/auth/password",
                                   {"current_password": "wrong password!", "new_password": "x" * 20},
                                   token=t)
            assert st == 401 and problem["type"] == "/problems/invalid_credentials", problem
            st, problem = srv.call("POST", "/api/v1/auth/password",
                                   {"current_password": PW, "new_password": "short"}, token=t)
            assert st == 400 and problem.get("field") == "password", problem
            st, _ = login(srv, "alice@example.com", PW)
            assert st == 200, "the password did not change"
            # An address taken by someone else: the same 202, and nothing is sent to it.
            st, _ = srv.call("POST", "/api/v1/auth/email",
                             {"email": "admin@example.com", "password": PW}, token=t)
            assert st == 202, st
            time.sleep(2)
            assert sink.to("admin@example.com") == [], "nothing reveals the address is taken"

        def smtp_outage_messages_wait_then_arrive_once():
            smtp.stop()
            st, _ = srv.call("POST", "/api/v1/auth/register", {"email": "bob@example.com",
                                                                "password": pw})
            assert st == 202
            time.sleep(2.5)
            assert sink.to("bob@example.com") == [], "nothing can arrive while SMTP is down"
            assert srv.metric("watchstore_outbox_pending") >= 1
            assert srv.metric("watchstore_outbox_oldest_pending_age_seconds") >= 2
            assert srv.metric("watchstore_outbox_send_failures_total") >= 1
            restarted = Controller(sink, hostname="127.0.0.1", port=smtp_port)
            restarted.start()
            controllers.append(restarted)
            [welcome] = sink.wait_for("bob@example.com", "Welcome", timeout=30)
            time.sleep(3)
            again = sink.to("bob@example.com")
            assert len(again) == 1, f"delivered {len(again)} times"
            assert srv.metric("watchstore_outbox_pending") == 0
            assert srv.metric("watchstore_outbox_dead") == 0
            listed = subprocess.run([SERVER, "outbox", "list", f"--database={db}"],
                                    capture_output=True, timeout=30, text=True)
            assert listed.returncode == 0 and "0 dead e-mail(s)" in listed.stdout, listed

        def two_servers_on_one_postgres_deliver_each_once():
            url = os.environ.get("WATCHSTORE_TEST_POSTGRES_URL")
            if not url:
                print("  (skipped: WATCHSTORE_TEST_POSTGRES_URL is not set)")
                return
            mig = subprocess.run([SERVER, "migrate", f"--database={url}"], capture_output=True,
                                 timeout=60)
            assert mig.returncode == 0, mig.stderr
            a = Server(work, url, smtp_port, "pg-a")
            servers.append(a)
            b = Server(work, url, smtp_port, "pg-b")
            servers.append(b)
            n = 16
            stamp = int(time.time())
            for i in range(n):
                st, _ = (a if i % 2 else b).call(
                    "POST", "/api/v1/auth/register",
                    {"email": f"twin{stamp}-{i}@example.com", "password": pw},
                    headers={"X-Forwarded-For": f"10.0.0.{i}"})
                assert st == 202, st
            end = time.time() + 30
            while time.time() < end:
                got = [m for rcpt, m in sink.messages if any(f"twin{stamp}-" in r for r in rcpt)]
                if len(got) >= n:
                    break
                time.sleep(0.2)
            time.sleep(3)
            got = [m for rcpt, m in sink.messages if any(f"twin{stamp}-" in r for r in rcpt)]
            ids = [m["Message-ID"] for m in got]
            assert len(got) == n, f"{len(got)} messages for {n} registrations"
            assert len(set(ids)) == n, "no Message-ID twice"

        for fn in (register_then_verify, forgot_reset_old_sessions_dead,
                   reset_flood_is_rate_limited_and_unknown_gets_nothing,
                   checkout_confirmation_and_shipping,
                   bad_input_is_a_precise_4xx_and_changes_nothing,
                   smtp_outage_messages_wait_then_arrive_once,
                   two_servers_on_one_postgres_deliver_each_once):
            if time.time() > DEADLINE:
                RESULTS["failed"] += 1
                print(f"[FAIL] {fn.__name__}: out of time")
                continue
            case(fn)
    finally:
        for s in servers:
            s.stop()
        for c in controllers:
            try:
                c.stop()
            except Exception:
                pass
    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    if RESULTS["failed"] == 0:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"logs and received mail kept in {work}")
    return 1 if RESULTS["failed"] else 0


PW = None
if __name__ == "__main__":
    sys.exit(main())
