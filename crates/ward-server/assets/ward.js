// Ward's own script, progressive enhancement only: every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // The setup link carries its one-time token in the fragment, which the browser never sends
  // to the server: copy it into the form, then drop it from the address bar and history.
  var token = document.getElementById("setup-token");
  if (token && location.hash.length > 1) {
    token.value = decodeURIComponent(location.hash.slice(1));
    history.replaceState(null, "", location.pathname);
  }
  // Filters apply as soon as a choice changes.
  document.querySelectorAll("form.filters select").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
  // An accepted risk is a governance decision: ask once more.
  document.querySelectorAll("form[action$='/accept-risk']").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm("Accept this risk until the date given? This is recorded in the audit trail.")) e.preventDefault();
    });
  });
  // Security keys and passkeys (WebAuthn): the server's options carry binary fields in
  // base64url; the browser's API wants ArrayBuffers, and its answer goes back in base64url.
  var status = document.getElementById("passkey-status");
  function say(text) { if (status) status.textContent = text; }
  function fromB64u(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function toB64u(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function ids(list) { (list || []).forEach(function (c) { c.id = fromB64u(c.id); }); }
  function api(path, body) {
    var csrf = document.querySelector("meta[name='csrf-token']");
    var headers = { "Content-Type": "application/json" };
    if (csrf && csrf.content) headers["X-CSRF-Token"] = csrf.content;
    return fetch(path, { method: "POST", credentials: "same-origin", headers: headers, body: JSON.stringify(body) }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) { return { status: r.status, body: j }; });
    });
  }
  function failed(r) { return (r.body && r.body.detail) || "The security key was not accepted."; }
  var supported = !!(window.PublicKeyCredential && navigator.credentials);
  function assertion(cred) {
    var resp = cred.response;
    return {
      id: cred.id, rawId: toB64u(cred.rawId), type: cred.type, extensions: cred.getClientExtensionResults(),
      response: { authenticatorData: toB64u(resp.authenticatorData), clientDataJSON: toB64u(resp.clientDataJSON), signature: toB64u(resp.signature), userHandle: resp.userHandle ? toB64u(resp.userHandle) : null }
    };
  }
  var add = document.getElementById("passkey-add");
  if (add) add.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!supported) { say("This browser cannot use security keys."); return; }
    say("Waiting for your security key...");
    api("/api/v1/passkeys/register", { name: add.elements.name.value }).then(function (r) {
      if (r.status === 401 && r.body.title === "Re-authentication required") { location.href = "/reauth?next=/account"; return null; }
      if (r.status !== 200) throw new Error(failed(r));
      var o = r.body.publicKey;
      o.challenge = fromB64u(o.challenge);
      o.user.id = fromB64u(o.user.id);
      ids(o.excludeCredentials);
      return navigator.credentials.create({ publicKey: o });
    }).then(function (cred) {
      if (!cred) return null;
      return api("/api/v1/passkeys/register/finish", { credential: {
        id: cred.id, rawId: toB64u(cred.rawId), type: cred.type, extensions: cred.getClientExtensionResults(),
        response: { attestationObject: toB64u(cred.response.attestationObject), clientDataJSON: toB64u(cred.response.clientDataJSON) }
      } }).then(function (r) {
        if (r.status !== 201) throw new Error(failed(r));
        location.reload();
      });
    }).catch(function (err) { say(err && err.message ? err.message : "The security key was not registered."); });
  });
  // Sign-in and re-authentication: the key signs the challenge of `path`; its answer goes to
  // `path`/finish, which answers `ok`; then on to `next`.
  function prove(path, ok, next) {
    say("Waiting for your security key...");
    api(path, {}).then(function (r) {
      if (r.status !== 200) throw new Error(failed(r));
      var o = r.body.publicKey;
      o.challenge = fromB64u(o.challenge);
      ids(o.allowCredentials);
      return navigator.credentials.get({ publicKey: o });
    }).then(function (cred) {
      return api(path + "/finish", { credential: assertion(cred) });
    }).then(function (r) {
      if (r.status !== ok) throw new Error(failed(r));
      location.href = next;
    }).catch(function (err) { say(err && err.message ? err.message : "The security key was not accepted."); });
  }
  // Re-authentication: offered when the person has a key (the page does not know; the API says).
  var reauth = document.getElementById("passkey-reauth");
  if (reauth && supported) {
    fetch("/api/v1/passkeys", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; }).then(function (j) {
      if (j && j.enabled && j.items && j.items.length) reauth.hidden = false;
    }).catch(function () {});
    reauth.querySelector("button").addEventListener("click", function () {
      prove("/api/v1/reauth/passkey", 204, reauth.getAttribute("data-next") || "/");
    });
  }
  var signin = document.getElementById("passkey-signin");
  if (signin) signin.addEventListener("click", function () {
    if (!supported) { say("This browser cannot use security keys: use the code from your app."); return; }
    prove("/api/v1/login/passkey", 200, "/");
  });
});
