// The till's numeric keypad (templates/cashier/sale.html): a button with data-keypad-for="<input id>"
// opens it for that field. OK writes the typed number into the field; with data-keypad-submit it
// also submits the field's form (a line's quantity), with data-keypad-whole only digits are taken.
(function () {
  "use strict";

  var target = null;   // the input the keypad types into
  var submit = false;
  var typed = "";

  function keypad() { return document.getElementById("keypad"); }

  function show() {
    var display = keypad().querySelector(".keypad-display");
    display.textContent = typed === "" ? "0" : typed;
  }

  function open(button) {
    var dialog = keypad();
    target = document.getElementById(button.getAttribute("data-keypad-for"));
    if (!dialog || !target) { return; }
    submit = button.hasAttribute("data-keypad-submit");
    var whole = button.hasAttribute("data-keypad-whole");
    dialog.querySelector("[data-keypad-decimal]").disabled = whole;
    dialog.querySelector(".keypad-title").textContent = button.getAttribute("data-keypad-title") || "";
    typed = "";
    show();
    dialog.showModal();
  }

  function close() {
    var dialog = keypad();
    if (dialog && dialog.open) { dialog.close(); }
  }

  function press(key) {
    if (key === "cancel") { close(); return; }
    if (key === "clear") { typed = ""; show(); return; }
    if (key === "back") { typed = typed.slice(0, -1); show(); return; }
    if (key === "ok") {
      var field = target;
      close();
      if (!field || typed === "") { return; }
      field.value = typed;
      if (submit && field.form) { field.form.requestSubmit(); }
      return;
    }
    if (key === ",") {
      if (typed.indexOf(",") !== -1) { return; }
      typed = (typed === "" ? "0" : typed) + ",";
    } else {
      if (typed.length >= 12) { return; }
      var decimals = typed.indexOf(",") === -1 ? -1 : typed.length - typed.indexOf(",") - 1;
      if (decimals >= 2) { return; }  // money has two decimals at most
      typed = typed === "0" ? key : typed + key;
    }
    show();
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest) { return; }
    var opener = event.target.closest("[data-keypad-for]");
    if (opener) { event.preventDefault(); open(opener); return; }
    var key = event.target.closest("#keypad [data-key]");
    if (key) { press(key.getAttribute("data-key")); }
  });

  // A popover of the till (parked carts, a new client) closes when the cashier taps elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("#till details[open]").forEach(function (box) {
      if (!box.contains(event.target)) { box.open = false; }
    });
  });

  // A hardware keyboard works on the open keypad too.
  document.addEventListener("keydown", function (event) {
    var dialog = keypad();
    if (!dialog || !dialog.open) { return; }
    if (/^[0-9]$/.test(event.key)) { press(event.key); event.preventDefault(); }
    else if (event.key === "," || event.key === ".") { if (!dialog.querySelector("[data-keypad-decimal]").disabled) { press(","); } event.preventDefault(); }
    else if (event.key === "Backspace") { press("back"); event.preventDefault(); }
    else if (event.key === "Enter") { press("ok"); event.preventDefault(); }
  });
})();
