/* Forms marked data-submit-once (the filing form): the submit button disables itself when the
 * form is sent, so a double-click sends it once. The form's one-time token (input
 * data-once-token) makes the server show the first crisis for a second submit of the same page:
 * when Back restores the page from the back/forward cache the token is still there (and the
 * button is given back); when Back re-fetches the page — a new token, but the browser refills
 * the typed fields — the token submitted from this tab is put back. No inline handlers (CSP). */
(function () {
  "use strict";
  var KEY = "keel:submit-once:" + window.location.pathname;

  function remember(token) {
    try {
      window.sessionStorage.setItem(KEY, token);
    } catch (e) {
      /* storage disabled: the double-click guard still works */
    }
  }

  function remembered() {
    try {
      return window.sessionStorage.getItem(KEY);
    } catch (e) {
      return null;
    }
  }

  function cameBack() {
    var entries = window.performance && window.performance.getEntriesByType
      ? window.performance.getEntriesByType("navigation")
      : [];
    return entries.length > 0 && entries[0].type === "back_forward";
  }

  function tokens(root) {
    return root.querySelectorAll("form[data-submit-once] input[data-once-token]");
  }

  function buttons(form) {
    return form.querySelectorAll("button[type=submit], input[type=submit]");
  }

  if (cameBack()) {
    var saved = remembered();
    var inputs = tokens(document);
    for (var t = 0; saved && t < inputs.length; t++) inputs[t].value = saved;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-submit-once")) return;
    if (form.getAttribute("data-submitting") === "1") {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-submitting", "1");
    var token = form.querySelector("input[data-once-token]");
    if (token && token.value) remember(token.value);
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
