#!/usr/bin/env python3
"""A shopper, for the deployment tests: talks to a running watchstore server
over HTTP the way the storefront does (bearer token, no browser).

    store_client.py BASE_URL checkout EMAIL PASSWORD   register (if new), log in,
                                                       buy one in-stock watch; prints the order number
    store_client.py BASE_URL orders EMAIL PASSWORD     log in; prints the order numbers, newest first
    store_client.py BASE_URL product                   GET a product through the API and the
                                                       storefront's product page; prints its id
Exit 0 on success; any unexpected answer is printed and exits 1.
"""
import json
import sys
import urllib.error
import urllib.request
import uuid


def call(base, method, path, body=None, token=None, headers=None, raw=False):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            payload = r.read()
            return r.status, (payload if raw else (json.loads(payload) if payload else None))
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def expect(ok, what, status, body):
    if not ok:
        print(f"store_client: {what}: HTTP {status}: {str(body)[:500]}", file=sys.stderr)
        sys.exit(1)


def login(base, email, password):
    status, body = call(base, "POST", "/api/v1/auth/login", {"email": email, "password": password})
    expect(status == 200 and body.get("token"), "login", status, body)
    return body["token"]


def in_stock_variant(base):
    status, page = call(base, "GET", "/api/v1/products?limit=50")
    expect(status == 200 and page["items"], "list products", status, page)
    for p in page["items"]:
        status, product = call(base, "GET", f"/api/v1/products/{p['id']}")
        expect(status == 200, f"product {p['id']}", status, product)
        for v in product["variants"]:
            if v["stock"] > 0:
                return product, v
    expect(False, "no variant in stock", 0, "")


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    base, cmd = argv[1].rstrip("/"), argv[2]
    if cmd == "product":
        product, _ = in_stock_variant(base)
        status, html = call(base, "GET", f"/product.html?id={product['id']}", raw=True)
        expect(status == 200 and b"<html" in html.lower(), "storefront product page", status, html[:200])
        print(product["id"])
        return 0
    email, password = argv[3], argv[4]
    if cmd == "checkout":
        status, body = call(base, "POST", "/api/v1/auth/register", {"email": email, "password": password})
        expect(status == 202, "register", status, body)
        token = login(base, email, password)
        _, variant = in_stock_variant(base)
        status, cart = call(base, "POST", "/api/v1/cart/items", {"variant_id": variant["id"], "quantity": 1}, token)
        expect(status == 200, "add to cart", status, cart)
        shipping = {"name": "Test Buyer", "line1": "1 Test Street", "city": "Testville", "postal_code": "12345", "country": "DE"}
        status, order = call(base, "POST", "/api/v1/orders", {"shipping": shipping}, token,
                             {"Idempotency-Key": str(uuid.uuid4())})
        expect(status == 201 and order.get("number"), "checkout", status, order)
        print(order["number"])
        return 0
    if cmd == "orders":
        token = login(base, email, password)
        status, page = call(base, "GET", "/api/v1/orders", token=token)
        expect(status == 200, "list orders", status, page)
        for o in page["items"]:
            print(o["number"])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
