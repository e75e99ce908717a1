// "Add a duty" on the map builder: clone the empty duty form and bump the formset's TOTAL_FORMS.
document.addEventListener("click", function (event) {
  if (!event.target.closest("[data-add-duty-row]")) return;
  event.preventDefault();
  var total = document.querySelector("input[name=duties-TOTAL_FORMS]");
  var template = document.getElementById("duty-row-template");
  var end = document.getElementById("duty-rows-end");
  if (!total || !template || !end) return;
  var index = parseInt(total.value, 10);
  var html = template.innerHTML.replace(/__prefix__/g, String(index));
  end.insertAdjacentHTML("beforebegin", html);
  total.value = String(index + 1);
  var first = end.previousElementSibling.querySelector("input, select, textarea");
  if (first) first.focus();
});
