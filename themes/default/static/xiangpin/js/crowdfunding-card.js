// Crowdfunding pledge by card: Stripe.js confirms the pledge's SetupIntent (the
// card is saved for one off-session charge if the project succeeds; nothing is
// charged now), then our server asks Stripe and records the saved card.
(function () {
  "use strict";
  const root = document.getElementById("online-payment");
  const form = document.getElementById("pledge-card-form");
  if (!root || !form || !window.Stripe) return;
  const csrf = (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";
  const errorBox = document.getElementById("payment-error");
  const button = document.getElementById("card-save");
  const stripe = window.Stripe(root.dataset.publishableKey);
  const card = stripe.elements().create("card", {hidePostalCode: true});
  card.mount("#card-element");

  function showError(message) {
    errorBox.textContent = message;
    errorBox.classList.remove("d-none");
    button.disabled = false;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    errorBox.classList.add("d-none");
    const result = await stripe.confirmCardSetup(root.dataset.clientSecret, {payment_method: {card: card}});
    if (result.error) { showError(result.error.message || String(result.error)); return; }
    const response = await fetch(root.dataset.cardUrl, {
      method: "POST", credentials: "same-origin",
      headers: {"X-CSRFToken": decodeURIComponent(csrf)},
    });
    const body = await response.json();
    if (body.redirect) { window.location.assign(body.redirect); return; }
    showError(body.error || "");
  });
})();
