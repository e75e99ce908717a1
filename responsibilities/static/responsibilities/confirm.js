// Buttons marked data-confirm-submit ask before submitting their form (no inline handlers).
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-confirm-submit]");
  if (!button) return;
  event.preventDefault();
  if (window.confirm(button.getAttribute("data-confirm") || button.textContent.trim() + "?")) {
    button.form.submit();
  }
});
