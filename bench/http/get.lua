-- wrk script: GETs as a browser that already holds the CSRF cookie sends them
-- (so the server does not mint a new cookie on every response).
wrk.headers["Cookie"] = "ws_csrf=benchmark-csrf-cookie-value"
wrk.headers["Accept"] = "application/json"
