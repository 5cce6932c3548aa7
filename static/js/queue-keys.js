// Queue keys: "/" focuses the text filter (the field marked aria-keyshortcuts="/"),
// Escape leaves it; "j" and "k" move the focus to the next and previous case's
// link, so Enter opens it. Letters typed into a field stay the field's.
// No dependencies; served from our own origin (CSP: 'self').
(function () {
  "use strict";

  function typing(target) {
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }

  function select(row) {
    var previous = document.querySelector("tr.case-row.selected");
    if (previous) previous.classList.remove("selected");
    row.classList.add("selected");
    row.querySelector("a").focus();
  }

  function move(step) {
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr.case-row"));
    if (!rows.length) return;
    var current = document.activeElement.closest("tr.case-row") ||
      document.querySelector("tr.case-row.selected");
    var index = rows.indexOf(current);
    var next = index === -1 ? (step > 0 ? 0 : rows.length - 1) : index + step;
    select(rows[Math.min(Math.max(next, 0), rows.length - 1)]);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    var filter = document.querySelector('[aria-keyshortcuts="/"]');
    if (typing(event.target)) {
      if (event.key === "Escape" && event.target === filter) filter.blur();
      return;
    }
    if (event.key === "/" && filter) {
      event.preventDefault();
      filter.focus();
      filter.select();
    } else if (event.key === "j" || event.key === "k") {
      event.preventDefault();
      move(event.key === "j" ? 1 : -1);
    }
  });
})();
