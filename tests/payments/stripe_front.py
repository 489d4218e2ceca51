"""A thin HTTP front for localstripe that adds what localstripe lacks and the tests need:

- **Idempotency keys, as Stripe keeps them** (docs.stripe.com/api/idempotent_requests):
  the first answer to a POST with an ``Idempotency-Key`` is stored and replayed for
  the same key and the same parameters; the same key with other parameters is an
  ``idempotency_error`` (400). A 400 answer is not stored (Stripe stores nothing
  when validation fails).
- **Wallet PaymentIntents** (``alipay``, ``wechat_pay``), which localstripe cannot
  create: they start in ``requires_action`` with Stripe's ``next_action``
  (``alipay_handle_redirect`` / ``wechat_pay_display_qr_code``), are retrieved and
  cancelled, and refuse ``capture_method=manual`` as Stripe does. A test moves
  them on with ``wallet_update`` and sends the matching signed event itself.
- **Wallet refunds**: asynchronous as Stripe's are (``pending``); ``refund_update``
  settles them.
- **A log of every request** (method, path, Idempotency-Key, parameters).

Everything else is passed through to localstripe unchanged.
"""
import http.server
import json
import secrets
import threading
import time
import urllib.parse

import requests

WALLETS = ("alipay", "wechat_pay")


def _flat(body):
    """Form-encoded body → sorted [(key, value)] (the parameters' identity)."""
    return sorted(urllib.parse.parse_qsl(body, keep_blank_values=True))


def _nested(pairs):
    """Stripe's form encoding (a[b]=1, a[0]=x) → dicts and lists."""
    root = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def lists(node):
        if isinstance(node, dict):
            if node and all(key.isdigit() for key in node):
                return [lists(node[key]) for key in sorted(node, key=int)]
            return {key: lists(value) for key, value in node.items()}
        return node

    return lists(root)


class StripeFront:
    def __init__(self, upstream):
        self.upstream = upstream
        self.log = []  # (method, path, idempotency key or None, flat params)
        self.wallet_intents = {}
        self.wallet_refunds = {}
        self._stored = {}  # key → (flat params, path, status, body)
        self._lock = threading.RLock()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self):
        self._server.shutdown()
        self._server.server_close()

    # -- what tests read ---------------------------------------------------------------

    def creates(self, path):
        """[(idempotency key, params)] of the POSTs to ``path`` (e.g. /v1/refunds)."""
        return [(key, params) for method, logged, key, params in self.log if method == "POST" and logged == path]

    def wallet_update(self, intent_id, *, status, amount_received=None, currency=None):
        """Move an emulated wallet intent on (as the customer paying in the wallet
        would) and return it as Stripe would put it in an event."""
        with self._lock:
            intent = self.wallet_intents[intent_id]
            intent["status"] = status
            if status != "requires_action":
                intent["next_action"] = None
            if status == "succeeded":
                intent["amount_received"] = intent["amount"] if amount_received is None else amount_received
            if currency is not None:
                intent["currency"] = currency
            return json.loads(json.dumps(intent))

    def refund_update(self, refund_id, *, status):
        with self._lock:
            refund = self.wallet_refunds[refund_id]
            refund["status"] = status
            return json.loads(json.dumps(refund))

    # -- the server ----------------------------------------------------------------------

    def _handler_class(self):
        front = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                front._serve(self, "GET")

            def do_POST(self):
                front._serve(self, "POST")

            def do_DELETE(self):
                front._serve(self, "DELETE")

        return Handler

    def _serve(self, handler, method):
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        path = urllib.parse.urlsplit(handler.path).path
        key = handler.headers.get("Idempotency-Key")
        params = _flat(body)
        with self._lock:
            self.log.append((method, path, key, params))
        if method == "POST" and key:
            with self._lock:  # one keyed request at a time: no concurrent clash to model
                stored = self._stored.get(key)
                if stored is not None:
                    if (stored[0], stored[1]) != (params, path):
                        status, answer = 400, _error(
                            "idempotency_error",
                            f"Keys for idempotent requests can only be used with the same parameters they were "
                            f"first used with. Try using a key other than '{key}' if you meant to execute a "
                            f"different request.")
                    else:
                        status, answer = stored[2], stored[3]
                    return _reply(handler, status, answer, replayed=True)
                status, answer = self._answer(handler, method, path, body, params)
                if status != 400:
                    self._stored[key] = (params, path, status, answer)
            return _reply(handler, status, answer)
        status, answer = self._answer(handler, method, path, body, params)
        return _reply(handler, status, answer)

    def _answer(self, handler, method, path, body, params):
        wallet = self._wallet(method, path, params)
        if wallet is not None:
            return wallet
        response = requests.request(
            method, self.upstream + handler.path, data=body.encode() if body else None, timeout=10,
            headers={name: value for name, value in handler.headers.items()
                     if name.lower() in ("authorization", "content-type", "stripe-version")},
        )
        return response.status_code, response.content

    def _wallet(self, method, path, params):
        """Answers for wallet intents (None: not a wallet request)."""
        data = _nested(params)
        if method == "POST" and path == "/v1/payment_intents":
            types = data.get("payment_method_types") or []
            if not any(kind in WALLETS for kind in types):
                return None
            if data.get("capture_method") == "manual":
                return 400, _error("invalid_request_error",
                                   f"The payment method type {types[0]!r} does not support manual capture.")
            return 200, json.dumps(self._wallet_create(data)).encode()
        if method == "POST" and path == "/v1/refunds" and data.get("payment_intent") in self.wallet_intents:
            return self._wallet_refund(data)
        parts = path.strip("/").split("/")
        if len(parts) >= 3 and parts[:2] == ["v1", "payment_intents"] and parts[2] in self.wallet_intents:
            with self._lock:
                intent = self.wallet_intents[parts[2]]
                if method == "POST" and parts[3:] == ["cancel"]:
                    if intent["status"] in ("succeeded", "canceled", "processing"):
                        return 400, _error("invalid_request_error",
                                           f"You cannot cancel this PaymentIntent because it has a status of "
                                           f"{intent['status']}.")
                    intent["status"], intent["next_action"] = "canceled", None
                return 200, json.dumps(intent).encode()
        return None

    def _wallet_refund(self, data):
        with self._lock:
            intent = self.wallet_intents[data["payment_intent"]]
            refunded = sum(refund["amount"] for refund in self.wallet_refunds.values()
                           if refund["payment_intent"] == intent["id"] and refund["status"] != "failed")
            amount = int(data.get("amount") or intent["amount_received"] - refunded)
            if intent["status"] != "succeeded" or amount <= 0 or refunded + amount > intent["amount_received"]:
                return 400, _error("invalid_request_error",
                                   "Refund amount is greater than the unrefunded amount on the charge.")
            refund = {"id": "re_" + secrets.token_hex(12), "object": "refund", "amount": amount,
                      "currency": intent["currency"], "payment_intent": intent["id"], "charge": None,
                      "status": "pending", "metadata": data.get("metadata") or {}, "created": int(time.time())}
            self.wallet_refunds[refund["id"]] = refund
            return 200, json.dumps(refund).encode()

    def _wallet_create(self, data):
        kind = data["payment_method_types"][0]
        intent_id = "pi_" + secrets.token_hex(12)
        if kind == "alipay":
            next_action = {"type": "alipay_handle_redirect", "alipay_handle_redirect": {
                "url": f"https://hooks.stripe.com/alipay/{intent_id}", "native_url": None, "native_data": None,
                "return_url": data.get("return_url")}}
        else:
            next_action = {"type": "wechat_pay_display_qr_code", "wechat_pay_display_qr_code": {
                "data": f"weixin://wxpay/bizpayurl?pr={intent_id}",
                "image_data_url": "data:image/png;base64,iVBORw0KGgo=",
                "hosted_instructions_url": f"https://payments.stripe.com/wechat/{intent_id}"}}
        intent = {
            "id": intent_id, "object": "payment_intent", "amount": int(data["amount"]),
            "amount_received": 0, "currency": data["currency"], "status": "requires_action",
            "capture_method": data.get("capture_method", "automatic_async"),
            "payment_method_types": data["payment_method_types"], "metadata": data.get("metadata") or {},
            "client_secret": f"{intent_id}_secret_{secrets.token_hex(8)}", "latest_charge": None,
            "next_action": next_action, "created": int(time.time()), "livemode": False,
        }
        with self._lock:
            self.wallet_intents[intent_id] = intent
        return intent


def _error(kind, message):
    return json.dumps({"error": {"type": kind, "message": message}}).encode()


def _reply(handler, status, body, replayed=False):
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    if replayed:
        handler.send_header("Idempotent-Replayed", "true")
    handler.end_headers()
    handler.wfile.write(body)
