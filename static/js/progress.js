// Live progress bars (an action's takedown, an export job): each element with
// a data-progress-url polls that JSON endpoint while its state is one of its
// data-running-states, and reloads the page once it settles so the results
// show. No dependencies; served from our own origin (CSP: 'self').
(function () {
  "use strict";
  var INTERVAL_MS = 1000;

  function running(bar, state) {
    return (bar.dataset.runningStates || "").split(" ").indexOf(state) >= 0;
  }

  function update(bar, data) {
    var progress = bar.querySelector("progress");
    var label = bar.querySelector(".progress-label");
    var state = bar.querySelector(".progress-state");
    progress.max = Math.max(data.total, 1);
    progress.value = data.settled;
    label.textContent = data.label;
    if (state) {
      state.textContent = data.state_label;
      state.className = "progress-state state-" + data.state;
    }
    bar.dataset.state = data.state;
  }

  function poll(bar) {
    var url = bar.dataset.progressUrl;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        update(bar, data);
        if (running(bar, data.state)) {
          window.setTimeout(function () { poll(bar); }, INTERVAL_MS);
        } else {
          // Settled (or paused): show the results and the new buttons.
          window.setTimeout(function () { window.location.reload(); }, 300);
        }
      })
      .catch(function () {
        window.setTimeout(function () { poll(bar); }, INTERVAL_MS * 5);
      });
  }

  function start() {
    var bars = document.querySelectorAll("[data-progress-url]");
    for (var i = 0; i < bars.length; i++) {
      if (running(bars[i], bars[i].dataset.state)) poll(bars[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
