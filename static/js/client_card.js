// The client card: the discount, the credit limit and the deferral are changed in place.
// A tap on the value opens its input with the value selected (typing replaces it); Enter or Save
// sends the form (htmx), Escape or Cancel closes it unchanged. No inline scripts (CSP).
(function () {
  "use strict";

  function open(form) {
    form.classList.add("is-open");
    var box = form.querySelector(".term-input");
    if (box) { box.hidden = false; }
    var input = form.querySelector("input[name=value]");
    if (input) { input.focus(); input.select(); }
  }

  function close(form) {
    var input = form.querySelector("input[name=value]");
    if (input) { input.value = input.defaultValue; }
    form.classList.remove("is-open");
    var box = form.querySelector(".term-input");
    if (box) { box.hidden = true; }
    var error = form.querySelector(".term-error");
    if (error) { error.remove(); }
    var value = form.querySelector("[data-term-open]");
    if (value) { value.focus(); }
  }

  document.addEventListener("click", function (event) {
    var opener = event.target.closest && event.target.closest("[data-term-open]");
    if (opener) { open(opener.closest("[data-term-edit]")); return; }
    var cancel = event.target.closest && event.target.closest("[data-term-cancel]");
    if (cancel) { close(cancel.closest("[data-term-edit]")); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var form = event.target.closest && event.target.closest("[data-term-edit]");
    if (form && form.classList.contains("is-open")) { event.preventDefault(); close(form); }
  });

  // A refused value comes back open: the cursor goes back into it.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail.target || event.detail.target.id !== "client-terms") { return; }
    var refused = document.querySelector("#client-terms .term-edit.is-open input[name=value]");
    if (refused) { refused.focus(); refused.select(); }
  });
})();
