// Online payment page: the card form (Stripe.js Elements; a token is sent to our
// server, which creates and confirms the PaymentIntent), 3-D Secure when asked,
// and a status poll while a wallet payment or the webhook is being confirmed.
(function () {
  "use strict";
  const root = document.getElementById("online-payment");
  if (!root) return;
  const csrf = (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";
  const errorBox = document.getElementById("payment-error");

  function showError(message) {
    errorBox.textContent = message;
    errorBox.classList.remove("d-none");
  }

  function poll() {
    fetch(root.dataset.statusUrl, {credentials: "same-origin"})
      .then((response) => response.json())
      .then((body) => {
        if (body.redirect) { window.location.assign(body.redirect); return; }
        if (body.problem) { showError(body.problem); return; }
        if (body.status === "failed" || body.status === "canceled") { window.location.assign(root.dataset.returnUrl); return; }
        window.setTimeout(poll, 2000);
      })
      .catch(() => window.setTimeout(poll, 4000));
  }

  function post(url, data) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"X-CSRFToken": decodeURIComponent(csrf), "Content-Type": "application/x-www-form-urlencoded"},
      body: new URLSearchParams(data),
    }).then((response) => response.json());
  }

  const form = document.getElementById("card-form");
  if (form && window.Stripe) {
    const stripe = window.Stripe(root.dataset.publishableKey);
    const card = stripe.elements().create("card", {hidePostalCode: true});
    card.mount("#card-element");
    const button = document.getElementById("card-pay");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      button.disabled = true;
      errorBox.classList.add("d-none");
      const result = await stripe.createToken(card);
      if (result.error) { showError(result.error.message || String(result.error)); button.disabled = false; return; }
      let body = await post(root.dataset.cardUrl, {card: result.token.card.id});
      if (body.client_secret) {
        const confirmed = await stripe.confirmCardPayment(body.client_secret);
        if (confirmed.error) { showError(confirmed.error.message || String(confirmed.error)); }
        window.location.assign(root.dataset.returnUrl);
        return;
      }
      if (body.redirect) { window.location.assign(body.redirect); return; }
      if (body.poll) { poll(); return; }
      showError(body.error || "");
      button.disabled = false;
    });
  } else if (document.getElementById("wechat-qr") || document.getElementById("payment-waiting")) {
    poll();
  }
})();
