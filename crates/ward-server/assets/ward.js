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
});
