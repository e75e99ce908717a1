// The map editor: add, remove and reorder duty rows (arrow buttons or drag), keep the
// "starts after" pickers listing the other duties, and redraw the map as you edit (the server
// draws and validates; nothing is saved until the form is submitted). No framework, no inline
// handlers (strict CSP).
(function () {
  "use strict";
  var form = document.querySelector("form[data-map-editor]");
  if (!form) return;
  var list = form.querySelector("[data-duty-rows]");
  var template = document.getElementById("duty-row-template");
  var drawingBox = form.querySelector("[data-editor-drawing]");
  var mapErrors = form.querySelector("[data-map-errors]");
  var previewUrl = form.getAttribute("data-preview-url");
  var emptyAfter = form.getAttribute("data-empty-after") || "";
  var total = form.querySelector("input[name=duties-TOTAL_FORMS]");
  var initialForms = form.querySelector("input[name=duties-INITIAL_FORMS]");
  var PREFIX = /duties-(\d+|__prefix__)-/g;
  var timer = null;
  var sequence = 0;

  function rows() {
    return Array.prototype.slice.call(list.querySelectorAll(":scope > [data-duty-row]"));
  }

  function codeOf(row) {
    var input = row.querySelector("input[name$=-code]");
    return input ? input.value.trim() : "";
  }

  // Row i's fields are named duties-i-…, in the order shown; every row is sent as a new one.
  function renumber() {
    var all = rows();
    all.forEach(function (row, i) {
      row.querySelectorAll("[name], [id], [for]").forEach(function (el) {
        ["name", "id", "for"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value && value.indexOf("duties-") !== -1) {
            el.setAttribute(attr, value.replace(PREFIX, "duties-" + i + "-"));
          }
        });
      });
      row.querySelector("[data-row-number]").textContent = String(i + 1);
      row.querySelector("[data-row-code]").textContent = codeOf(row);
      row.querySelector("[data-move=up]").disabled = i === 0;
      row.querySelector("[data-move=down]").disabled = i === all.length - 1;
    });
    total.value = String(all.length);
    initialForms.value = "0";
  }

  // Each row's "starts after" lists the other duties by their short names; ticks are kept.
  function refreshAfterPickers() {
    var codes = rows().map(codeOf);
    rows().forEach(function (row, i) {
      var box = row.querySelector("[data-after-picker] [data-field=after]");
      if (!box) return;
      var legend = box.querySelector("legend");
      var holder = box.querySelector("div[id$=-after]");
      if (!holder) {
        holder = document.createElement("div");
        holder.id = "id_duties-" + i + "-after";
        legend.insertAdjacentElement("afterend", holder);
      }
      var ticked = {};
      holder.querySelectorAll("input[type=checkbox]").forEach(function (cb) {
        if (cb.checked) ticked[cb.value] = true;
      });
      var own = codes[i];
      var seen = {};
      var options = codes.filter(function (c) {
        if (!c || c === own || seen[c]) return false;
        seen[c] = true;
        return true;
      });
      holder.textContent = "";
      if (!options.length) {
        var note = document.createElement("span");
        note.className = "muted";
        note.textContent = emptyAfter;
        holder.appendChild(note);
      }
      options.forEach(function (code, k) {
        var wrap = document.createElement("div");
        var label = document.createElement("label");
        var cb = document.createElement("input");
        cb.type = "checkbox";
        cb.name = "duties-" + i + "-after";
        cb.value = code;
        cb.id = "id_duties-" + i + "-after_" + k;
        cb.checked = !!ticked[code];
        label.setAttribute("for", cb.id);
        label.appendChild(cb);
        label.appendChild(document.createTextNode(" " + code));
        wrap.appendChild(label);
        holder.appendChild(wrap);
      });
    });
  }

  // Renaming a duty keeps the ticks of the rows that wait for it.
  function renamed(input) {
    var before = input.getAttribute("data-previous");
    var now = input.value.trim();
    if (before && before !== now) {
      form.querySelectorAll("[data-after-picker] input[type=checkbox]").forEach(function (cb) {
        if (cb.value === before) cb.value = now;
      });
    }
    input.setAttribute("data-previous", now);
  }

  function showErrors(data) {
    form.querySelectorAll("[data-duty-row] [data-errors-for]").forEach(function (slot) {
      slot.textContent = "";
    });
    var all = rows();
    Object.keys(data.rows || {}).forEach(function (index) {
      var row = all[parseInt(index, 10)];
      if (!row) return;
      var fields = data.rows[index];
      Object.keys(fields).forEach(function (field) {
        var slot = row.querySelector("[data-errors-for='" + field + "']") ||
          row.querySelector("[data-errors-for=__all__]");
        var ul = document.createElement("ul");
        ul.className = "errorlist";
        var li = document.createElement("li");
        li.textContent = fields[field];
        ul.appendChild(li);
        slot.appendChild(ul);
        var more = slot.closest("details");
        if (more) more.open = true;
      });
    });
    var ul = mapErrors.querySelector("ul") || mapErrors.appendChild(document.createElement("ul"));
    ul.textContent = "";
    (data.map || []).forEach(function (message) {
      var li = document.createElement("li");
      li.textContent = message;
      ul.appendChild(li);
    });
    mapErrors.hidden = !(data.map && data.map.length);
  }

  function preview() {
    var mine = ++sequence;
    form.setAttribute("aria-busy", "true");
    fetch(previewUrl, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) {
        if (mine !== sequence) return; // a newer edit is already on its way
        drawingBox.innerHTML = data.drawing;
        showErrors(data);
      })
      .catch(function () {})
      .then(function () {
        if (mine === sequence) form.removeAttribute("aria-busy");
      });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(preview, 350);
  }

  function changed() {
    renumber();
    refreshAfterPickers();
    later();
  }

  function addRow() {
    var html = template.innerHTML.replace(PREFIX, "duties-" + rows().length + "-");
    list.insertAdjacentHTML("beforeend", html);
    changed();
    var row = rows()[rows().length - 1];
    var first = row.querySelector("input[name$=-code]");
    if (first) first.focus();
  }

  form.addEventListener("click", function (event) {
    var target = event.target;
    if (target.closest("[data-add-duty]")) {
      event.preventDefault();
      addRow();
      return;
    }
    var row = target.closest("[data-duty-row]");
    if (!row) return;
    var move = target.closest("[data-move]");
    if (move) {
      event.preventDefault();
      if (move.getAttribute("data-move") === "up" && row.previousElementSibling) {
        list.insertBefore(row, row.previousElementSibling);
      } else if (move.getAttribute("data-move") === "down" && row.nextElementSibling) {
        list.insertBefore(row.nextElementSibling, row);
      }
      changed();
      var same = row.querySelector("[data-move=" + move.getAttribute("data-move") + "]");
      (same.disabled ? row.querySelector("[data-move]:not([disabled])") : same).focus();
      return;
    }
    if (target.closest("[data-remove-duty]")) {
      event.preventDefault();
      var next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      changed();
      var focus = next ? next.querySelector("input[name$=-code]") : form.querySelector("[data-add-duty]");
      if (focus) focus.focus();
    }
  });

  form.addEventListener("input", function (event) {
    if (event.target.matches("input[name$=-code]")) {
      renamed(event.target);
      refreshAfterPickers();
      renumber();
    }
    later();
  });
  form.addEventListener("change", later);
  form.addEventListener("submit", renumber);

  // Drag a row by its handle; dropping in the top half of a row puts it before that row.
  var dragged = null;
  list.addEventListener("dragstart", function (event) {
    var handle = event.target.closest && event.target.closest("[data-drag-handle]");
    if (!handle) return;
    dragged = handle.closest("[data-duty-row]");
    dragged.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", codeOf(dragged));
    event.dataTransfer.setDragImage(dragged, 20, 20);
  });
  list.addEventListener("dragover", function (event) {
    if (!dragged) return;
    var over = event.target.closest && event.target.closest("[data-duty-row]");
    event.preventDefault();
    if (!over || over === dragged) return;
    var box = over.getBoundingClientRect();
    var before = event.clientY < box.top + box.height / 2;
    list.insertBefore(dragged, before ? over : over.nextElementSibling);
  });
  list.addEventListener("drop", function (event) {
    if (dragged) event.preventDefault();
  });
  list.addEventListener("dragend", function () {
    if (!dragged) return;
    dragged.classList.remove("dragging");
    dragged = null;
    changed();
  });

  form.querySelectorAll("input[name$=-code]").forEach(function (input) {
    input.setAttribute("data-previous", input.value.trim());
  });
  renumber();
})();
