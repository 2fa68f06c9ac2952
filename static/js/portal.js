// The portal's own behaviours. No inline scripts: the Content-Security-Policy forbids them.
(function () {
  "use strict";

  // htmx requests carry the CSRF token from the page's meta tag.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRFToken"] = meta.content; }
  });

  // <form data-confirm="Question?"> asks before it submits.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  }, true);

  // <button data-copy="#id"> copies the text of an element (a new password, shown once).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) { return; }
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (source && navigator.clipboard) {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.classList.add("copied");
      });
    }
  });

  // A select that filters a list submits its form on change.
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select[data-autosubmit]")) {
      event.target.form.requestSubmit();
    }
  });
  // The till: the scan field always has the focus, unless the cashier is typing elsewhere.
  function focusScan() {
    var scan = document.querySelector("[data-scan]");
    var active = document.activeElement;
    var typing = active && active !== scan && active.matches && active.matches("input, select, textarea");
    var open = document.querySelector("dialog[open], details[open]");  // the keypad, a popover
    if (scan && !typing && !open) { scan.focus(); }
  }
  // A scanned code leaves the field as soon as it is sent (not when the answer comes back, which
  // would wipe the next code if the cashier scans again at once).
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    var scan = form && form.querySelector && form.querySelector("[data-scan]");
    if (scan) { scan.value = ""; }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "till") {
      var scan = document.querySelector("[data-scan]");
      if (scan) { focusScan(); }
      var results = document.getElementById("search-results");
      if (results && event.detail.requestConfig && event.detail.requestConfig.path.indexOf("/cart/add/") !== -1) {
        results.innerHTML = "";
        var q = document.getElementById("search-q");
        if (q) { q.value = ""; }
      }
    }
  });
  document.addEventListener("click", function (event) {
    if (!document.querySelector("[data-scan]")) { return; }
    if (event.target.closest && event.target.closest("input, select, textarea, summary, details")) { return; }
    window.setTimeout(focusScan, 0);
  });

  // <button data-print> prints the page (the receipt is laid out for 80 mm paper).
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) { window.print(); }
  });

  // Fields that only matter for one role (a manager's supervisor, a cashier's shop) show only then.
  function showFieldsForRole() {
    var select = document.querySelector('select[name="role"]');
    if (!select) { return; }
    document.querySelectorAll("[data-for-role]").forEach(function (box) {
      box.hidden = box.getAttribute("data-for-role") !== select.value;
    });
  }
  document.addEventListener("DOMContentLoaded", showFieldsForRole);
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches('select[name="role"]')) { showFieldsForRole(); }
  });
})();
