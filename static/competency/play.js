// Timed decisions: count down; when time runs out, submit the step as timed out.
// The server checks the deadline itself, so this is a convenience, not the authority.
(function () {
  "use strict";
  var box = document.querySelector("[data-remaining]");
  if (!box) { return; }
  var left = parseInt(box.getAttribute("data-remaining"), 10);
  var out = document.getElementById("countdown-value");
  var form = document.getElementById("answer-form");
  var flag = document.getElementById("timed-out");
  var sent = false;
  form.addEventListener("submit", function () { sent = true; });
  function tick() {
    if (sent) { return; }
    out.textContent = String(Math.max(left, 0));
    if (left <= 10) { box.classList.add("urgent"); }
    if (left <= 0) {
      sent = true;
      flag.value = "1";
      form.submit();
      return;
    }
    left -= 1;
    window.setTimeout(tick, 1000);
  }
  tick();
})();
