/* The decision form (issue 15): "Add a follow-up" clones the follow-up row (the page works
 * without this script with one row), and choosing an option of the map fills the rows with the
 * follow-ups that option foresees (data from the page's #decision-foreseen JSON); the no-script
 * "also create the option's follow-ups" box is then unticked and hidden, the rows say it all.
 * No inline handlers (CSP). */
(function () {
  "use strict";
  var MAX_ROWS = 20;

  function setup(form) {
    var box = form.querySelector("[data-follow-up-rows]");
    var add = form.querySelector("[data-add-follow-up]");
    var option = form.querySelector("select[name=option]");
    var data = document.getElementById("decision-foreseen");
    var foreseen = {};
    try {
      foreseen = data ? JSON.parse(data.textContent) || {} : {};
    } catch (e) {
      foreseen = {};
    }
    var toggle = form.querySelector("[data-foreseen-toggle]");
    if (toggle) {
      toggle.hidden = true;
      var check = toggle.querySelector("input[type=checkbox]");
      if (check) check.checked = false;
    }

    function rows() {
      return box.querySelectorAll("[data-follow-up-row]");
    }

    function renumber(row, n) {
      row.querySelectorAll("input, select, label").forEach(function (el) {
        ["id", "name", "for"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value) el.setAttribute(attr, value.replace(/^fu-\d+-/, "fu-" + n + "-"));
        });
      });
    }

    function addRow(values) {
      var all = rows();
      if (all.length >= MAX_ROWS) return null;
      var row = all[0].cloneNode(true);
      renumber(row, all.length);
      row.querySelectorAll("input, select").forEach(function (el) {
        el.value = "";
      });
      all[all.length - 1].after(row);
      if (values) fill(row, values);
      return row;
    }

    function fill(row, values) {
      row.querySelector("[name$=-action]").value = values.action || "";
      var who = row.querySelector("[name$=-assignee]");
      who.value = values.assignee || "";
      row.querySelector("[name$=-deadline]").value = values.deadline || "";
    }

    function isBlank(row) {
      return Array.prototype.every.call(row.querySelectorAll("input, select"), function (el) {
        return !el.value;
      });
    }

    if (add) {
      add.hidden = false;
      add.addEventListener("click", function () {
        var row = addRow();
        if (row) row.querySelector("input").focus();
      });
    }

    if (option) {
      option.addEventListener("change", function () {
        var wanted = foreseen[option.value] || [];
        // Rows pre-filled for another option and not touched since are replaced.
        rows().forEach(function (row, i) {
          if (row.dataset.prefilled === "1" || isBlank(row)) {
            if (i === 0) {
              fill(row, {});
              delete row.dataset.prefilled;
            } else {
              row.remove();
            }
          }
        });
        wanted.forEach(function (values) {
          var all = rows();
          var first = all[0];
          var row = all.length === 1 && isBlank(first) ? first : addRow();
          if (!row) return;
          fill(row, values);
          row.dataset.prefilled = "1";
        });
      });
      box.addEventListener("input", function (event) {
        var row = event.target.closest("[data-follow-up-row]");
        if (row) delete row.dataset.prefilled;
      });
    }
  }

  document.querySelectorAll("[data-decision-form]").forEach(setup);
})();
