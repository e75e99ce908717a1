/* Keel crisis pages: live countdowns and small conveniences. No inline handlers (strict CSP).
 * Any element with data-due="<ISO datetime>" shows the time left (or how late) and gets the
 * classes cd-ok / cd-warning / cd-breached; data-warn="<ISO>" marks the warning threshold.
 * Content swapped in by htmx is covered because every tick re-queries the document. */
(function () {
  "use strict";
  var lang = (document.documentElement.lang || "zh-hans").toLowerCase();
  var zh = lang.indexOf("zh") === 0;
  var words = zh
    ? { left: "剩余 ", late: "已超时 ", d: "天", h: "小时", m: "分", s: "秒", paused: "已暂停" }
    : { left: "", late: "late by ", d: "d", h: "h", m: "m", s: "s", paused: "paused" };

  function span(seconds) {
    var s = Math.floor(Math.abs(seconds));
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60), r = s % 60;
    var sep = zh ? "" : " ";
    if (d) return d + words.d + sep + h + words.h;
    if (h) return h + words.h + sep + (m < 10 ? "0" : "") + m + words.m;
    return m + words.m + sep + (r < 10 ? "0" : "") + r + words.s;
  }

  function tick() {
    var now = Date.now();
    var nodes = document.querySelectorAll("[data-due]");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      if (el.hasAttribute("data-paused")) { el.textContent = words.paused; continue; }
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) continue;
      var warnAttr = el.getAttribute("data-warn");
      var warn = warnAttr ? Date.parse(warnAttr) : NaN;
      var left = (due - now) / 1000;
      var state = left < 0 ? "breached" : (!isNaN(warn) && now >= warn ? "warning" : "ok");
      el.textContent = left < 0 ? words.late + span(left) : (zh ? words.left : "") + span(left) + (zh ? "" : " left");
      el.classList.remove("cd-ok", "cd-warning", "cd-breached");
      el.classList.add("cd-" + state);
      var row = el.closest("[data-task-row]");
      if (row && !row.classList.contains("task-done") && !row.classList.contains("task-paused")) {
        row.classList.remove("task-ok", "task-warning", "task-breached");
        row.classList.add("task-" + state);
      }
    }
  }

  /* Confirmation for buttons marked data-confirm (replaces inline onclick). */
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  /* Show only the deliverable fields of the chosen kind in completion forms. */
  document.addEventListener("change", function (event) {
    var select = event.target.closest("select[data-reveal]");
    if (!select) return;
    var form = select.closest("form");
    var parts = form.querySelectorAll("[data-kind]");
    for (var i = 0; i < parts.length; i++) {
      parts[i].hidden = parts[i].getAttribute("data-kind").split(" ").indexOf(select.value) < 0;
    }
  });

  tick();
  window.setInterval(tick, 1000);
  document.addEventListener("htmx:afterSwap", tick);
})();
