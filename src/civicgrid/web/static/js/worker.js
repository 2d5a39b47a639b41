// Grid-worker pages: confirm before leaving a half-filled correction form.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form.m-form[method=post]");
  var dirty = false;
  for (var i = 0; i < forms.length; i++) {
    forms[i].addEventListener("input", function () { dirty = true; });
    forms[i].addEventListener("submit", function () { dirty = false; });
  }
  window.addEventListener("beforeunload", function (e) { if (dirty) { e.preventDefault(); } });
})();
