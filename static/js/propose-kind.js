// The propose form: show only the fields the chosen kind uses, and read the
// expiry in the browser's time zone. Without this script the server shows the
// chosen kind's fields (the "Show this kind's fields" button) and reads the
// expiry as UTC, as the page says beside the field.
(() => {
  const form = document.getElementById("propose-form");
  if (!form) return;
  const kind = form.elements.kind;

  function showKind() {
    for (const part of form.querySelectorAll("[data-kinds]")) {
      const used = part.dataset.kinds.split(" ").includes(kind.value);
      part.hidden = !used;
      // A field the kind does not use is not sent: the server would refuse it.
      for (const input of part.querySelectorAll("input, textarea, select")) {
        input.disabled = !used;
      }
    }
  }

  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const offset = new Date().getTimezoneOffset();
  form.elements.tz_name.value = zone || "";
  form.elements.tz_offset.value = String(offset);
  // The zone's name, not today's offset: an expiry in another season has another.
  const hours = -offset / 60;
  const named = document.getElementById("expires-zone");
  if (named) named.textContent = zone || `UTC${hours >= 0 ? "+" : ""}${hours}`;

  kind.addEventListener("change", showKind);
  showKind();
})();
