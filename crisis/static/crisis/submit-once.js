/* Forms marked data-submit-once (the filing form): the submit button disables itself when the
 * form is sent, so a double-click sends it once. The form's one-time token makes the server show
 * the first crisis for any second submit anyway (Back, then submit again). A page restored from
 * the back/forward cache gets its button back. No inline handlers (strict CSP). */
(function () {
  "use strict";

  function buttons(form) {
    return form.querySelectorAll("button[type=submit], input[type=submit]");
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-submit-once")) return;
    if (form.getAttribute("data-submitting") === "1") {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-submitting", "1");
    var list = buttons(form);
    for (var i = 0; i < list.length; i++) {
      list[i].disabled = true;
      list[i].setAttribute("aria-busy", "true");
    }
  });

  window.addEventListener("pageshow", function () {
    var forms = document.querySelectorAll("form[data-submit-once]");
    for (var f = 0; f < forms.length; f++) {
      forms[f].removeAttribute("data-submitting");
      var list = buttons(forms[f]);
      for (var i = 0; i < list.length; i++) {
        list[i].disabled = false;
        list[i].removeAttribute("aria-busy");
      }
    }
  });
})();
