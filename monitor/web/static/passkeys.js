// Passkeys: registration (button data-passkey="register") and the second step of signing in
// (data-passkey="signin"). The server's options are WebAuthn's JSON form (py_webauthn's
// options_to_json), read by the browser's own parse*OptionsFromJSON; the answer goes back as
// credential.toJSON(). POSTs carry the page's CSRF token as X-CSRF-Token.
(function () {
  "use strict";
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const status = document.getElementById("passkey-status");

  function show(message) {
    if (status) { status.textContent = message; status.hidden = false; }
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-Requested-With": "fetch",
                "X-CSRF-Token": token},
      body: JSON.stringify(body || {}),
    });
    const data = await response.json().catch(() => ({}));
    if (response.status === 401) { window.location.assign("/login"); }
    if (!response.ok) { throw new Error(typeof data.detail === "string" ? data.detail : "HTTP " + response.status); }
    return data;
  }

  async function register() {
    const options = await post("/account/passkeys/options");
    const credential = await navigator.credentials.create({publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options)});
    const field = document.getElementById("passkey-name");
    const result = await post("/account/passkeys", {credential: credential.toJSON(), name: field ? field.value : ""});
    window.location.assign(result.redirect);
  }

  async function signIn() {
    const options = await post("/login/passkey/options");
    const credential = await navigator.credentials.get({publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options)});
    const result = await post("/login/passkey", {credential: credential.toJSON()});
    window.location.assign(result.redirect);
  }

  document.querySelectorAll("[data-passkey]").forEach(function (button) {
    if (!window.PublicKeyCredential || !PublicKeyCredential.parseCreationOptionsFromJSON) {
      button.disabled = true;
      show("This browser cannot use passkeys here.");
      return;
    }
    button.addEventListener("click", async function () {
      button.disabled = true;
      try {
        await (button.dataset.passkey === "register" ? register() : signIn());
      } catch (error) {
        show(error.message || String(error));
        button.disabled = false;
      }
    });
  });
  document.body.dataset.passkeys = "ready";
})();
