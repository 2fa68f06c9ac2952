// The automation rule form: show the event's parameter and each chosen action's settings only.
// Without JavaScript every field stays visible and the form works the same.
(function () {
  "use strict";
  function setup(form) {
    var event = form.querySelector("select[name=event]");
    var whom = form.querySelector("select[name=notify_whom]");
    function refresh() {
      form.querySelectorAll("[data-show-for-event]").forEach(function (box) {
        var wanted = box.getAttribute("data-show-for-event").split(" ");
        box.hidden = !event || wanted.indexOf(event.value) < 0;
      });
      form.querySelectorAll("[data-params-of]").forEach(function (box) {
        var check = form.querySelector("input[name=" + box.getAttribute("data-params-of") + "]");
        box.hidden = !!check && !check.checked && !box.querySelector(".errors");
      });
      form.querySelectorAll("[data-show-for-whom]").forEach(function (box) {
        box.hidden = !whom || whom.value !== box.getAttribute("data-show-for-whom");
      });
    }
    form.addEventListener("change", refresh);
    refresh();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.rule-form").forEach(setup);
  });
})();
