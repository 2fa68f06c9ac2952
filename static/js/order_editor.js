// The manager's order editor (templates/manager/_order_editor.html): keyboard first, delivery
// defaults, and every change posted through htmx so that requests queue on the form (hx-sync).
//
// In the product search: arrow keys move the highlight over the hits, Enter takes the highlighted
// hit (the first is highlighted when they arrive; Enter typed before they arrive takes it when they
// do). A product sold by sizes opens its sizes, which take arrows and Enter too. "3*SKU" adds three
// units. Right after adding, "*3" Enter (or "3" Enter) sets the quantity of the line just added.
// After each add the search is empty and keeps the focus.
(function () {
  "use strict";

  var form = document.getElementById("order-editor");
  if (!form || !window.htmx) { return; }
  var search = document.getElementById("product-q");
  var results = document.getElementById("product-results");
  var url = form.getAttribute("hx-post");
  var MULTIPLIER = /^(\d{1,4})\s*\*\s*(.+)$/;
  var STAR_QTY = /^\*\s*(\d{1,4})$/;
  var BARE_QTY = /^(\d{1,4})$/;
  var state = { lastSku: null, justAdded: false, pendingEnter: false, active: -1, units: null };

  // What the search field holds: a quantity for the line just added, or a product to find.
  function parse(text) {
    text = (text || "").trim();
    var m = STAR_QTY.exec(text);
    if (m && state.lastSku) { return { qty: m[1] }; }
    m = BARE_QTY.exec(text);
    if (m && state.justAdded && state.lastSku) { return { qty: m[1] }; }
    m = MULTIPLIER.exec(text);
    if (m) { return { query: m[2].trim(), units: m[1] }; }
    return { query: text, units: null };
  }

  // Every change goes to the server from the form, so it takes its place in the form's queue.
  function post(values) {
    if (!values.action) { values.action = "recalculate"; }
    return window.htmx.ajax("POST", url, { source: form, values: values, swap: "none" });
  }

  function clearSearch() {
    search.value = "";
    results.innerHTML = "";
    state.active = -1;
    state.pendingEnter = false;
    search.focus();
  }

  function add(sku, units) {
    var values = { add_sku: sku };
    if (units) { values.add_qty = units; }
    post(values);
    state.lastSku = sku;
    state.justAdded = true;
    state.units = null;
    clearSearch();
  }

  function hits() { return results.querySelectorAll(".product-results > li"); }

  function highlight(index) {
    var list = hits();
    if (!list.length) { state.active = -1; return; }
    index = Math.max(0, Math.min(index, list.length - 1));
    list.forEach(function (li, i) {
      li.classList.toggle("is-active", i === index);
      li.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    state.active = index;
    var li = list[index];  // keep it in the list's view without scrolling the page
    if (li.offsetTop < results.scrollTop) { results.scrollTop = li.offsetTop; }
    if (li.offsetTop + li.offsetHeight > results.scrollTop + results.clientHeight) {
      results.scrollTop = li.offsetTop + li.offsetHeight - results.clientHeight;
    }
  }

  function take(li, units) {
    if (li.classList.contains("variant-pick")) {
      var details = li.querySelector("details");
      if (details) { details.open = true; }
      state.units = units;
      var first = li.querySelector(".variant-btn:not(:disabled)");
      if (first) { first.focus(); }
      return;
    }
    var button = li.querySelector("button[data-add]");
    if (button) { add(button.value, units); }
  }

  function resultsAreFor(query) {
    var shown = results.querySelector("[data-query]");
    return shown && shown.getAttribute("data-query").trim().toLowerCase() === query.toLowerCase();
  }

  search.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      highlight(state.active + (event.key === "ArrowDown" ? 1 : -1));
    } else if (event.key === "Escape") {
      results.innerHTML = "";
    } else if (event.key === "Enter") {
      event.preventDefault();  // not the form's "recalculate"
      var typed = parse(search.value);
      if (typed.qty) {
        post({ set_qty_sku: state.lastSku, set_qty: typed.qty });
        state.justAdded = false;
        clearSearch();
      } else if (typed.query) {
        var list = hits();
        if (resultsAreFor(typed.query) && list.length) {
          take(list[state.active >= 0 ? state.active : 0], typed.units);
        } else {
          state.pendingEnter = true;  // taken when the hits for this text arrive
          window.htmx.trigger(search, "search");
        }
      }
    }
  });

  search.addEventListener("input", function () {
    state.pendingEnter = false;
    if (search.value.trim() && !BARE_QTY.test(search.value.trim())) { state.justAdded = false; }
  });

  // The search asks for the product only, without a "3*" in front; nothing for a quantity.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt !== search) { return; }
    var typed = parse(search.value);
    event.detail.parameters.q = typed.qty ? "" : typed.query;
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target !== results) { return; }
    var typed = parse(search.value);
    if (!typed.query || !resultsAreFor(typed.query)) {
      if (!search.value.trim()) { results.innerHTML = ""; }  // an answer for a text already gone
      return;
    }
    state.active = -1;
    highlight(0);
    var pending = state.pendingEnter;
    state.pendingEnter = false;
    if (pending && hits().length) { take(hits()[state.active], typed.units); }
  });

  // Sizes of a product: arrows move between them, Enter (a click) adds one, Escape goes back.
  form.addEventListener("keydown", function (event) {
    var button = event.target.closest && event.target.closest(".variant-btn");
    if (!button) { return; }
    var all = Array.prototype.slice.call(button.closest(".variant-buttons").querySelectorAll(".variant-btn:not(:disabled)"));
    var i = all.indexOf(button);
    var step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
    if (step) {
      event.preventDefault();
      all[Math.max(0, Math.min(i + step, all.length - 1))].focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      search.focus();
    }
  });

  // Buttons of the form (add, remove, analogues, save, send, and Enter's hidden "recalculate") post
  // through htmx with their own value, in the form's queue.
  form.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[type=submit][name]");
    if (!button || !form.contains(button)) { return; }
    event.preventDefault();
    if (button.name === "add_sku") {
      add(button.value, results.contains(button) ? state.units : null);
      return;
    }
    var values = {};
    values[button.name] = button.value;
    post(values);
  });

  // Delivery: courier or carrier shows the address, filled with the client's default one when
  // empty. Runs before htmx's own listener (capture), so the re-price carries the address.
  var method = document.getElementById("delivery_method");
  var address = document.getElementById("delivery_address");
  var addressField = form.querySelector(".order-address");
  document.addEventListener("change", function (event) {
    if (event.target !== method) { return; }
    var delivered = method.value === "courier" || method.value === "carrier";
    addressField.hidden = !delivered;
    if (delivered && !address.value.trim()) { address.value = method.getAttribute("data-default-address") || ""; }
  }, true);

  // The client's other addresses are offered; the one already in the field is not.
  function offerOtherAddresses() {
    form.querySelectorAll(".address-pick").forEach(function (pick) {
      pick.hidden = pick.getAttribute("data-address") === address.value.trim();
    });
  }
  form.addEventListener("click", function (event) {
    var pick = event.target.closest && event.target.closest(".address-pick");
    if (!pick) { return; }
    address.value = pick.getAttribute("data-address");
    offerOtherAddresses();
    window.htmx.trigger(address, "change");
  });
  if (address) {
    address.addEventListener("input", offerOtherAddresses);
    document.addEventListener("change", function (event) {
      if (event.target === method) { offerOtherAddresses(); }
    });
  }

  // A line's quantity or discount typed while a request was on its way is not lost when the answer
  // redraws the lines table (a line added or removed): the typed value is put back into the new
  // table and re-priced, and the field keeps the focus.
  var LINE_FIELDS = "#order-lines input[name^='lines-']";
  var sent = {};
  function lineValues() {
    var values = {};
    document.querySelectorAll(LINE_FIELDS).forEach(function (input) { values[input.name] = input.value; });
    return values;
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt === form || form.contains(event.detail.elt)) { sent = lineValues(); }
  });
  var typed = null;
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    if (!event.detail.target || event.detail.target.id !== "order-lines") { return; }
    typed = { values: {}, focused: null };
    var now = lineValues();
    Object.keys(now).forEach(function (name) {
      if (name in sent && now[name] !== sent[name]) { typed.values[name] = now[name]; }
    });
    var active = document.activeElement;
    if (active && active.matches && active.matches(LINE_FIELDS)) { typed.focused = active.name; }
  });
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    if (!typed || !event.detail.target || event.detail.target.id !== "order-lines") { return; }
    var kept = typed;
    typed = null;
    var changed = null;
    Object.keys(kept.values).forEach(function (name) {
      var input = form.querySelector("#order-lines input[name='" + name + "']");
      if (input && input.value !== kept.values[name]) { input.value = kept.values[name]; changed = input; }
    });
    if (kept.focused) {
      var field = form.querySelector("#order-lines input[name='" + kept.focused + "']");
      if (field) { field.focus(); }
    }
    if (changed) { post({}); }  // re-priced with the typed value, in the form's queue
  });
})();
