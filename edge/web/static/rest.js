// The rest timer on the kiosk page: counts up from the last set's end while no rep has
// come since (the view's resting_s at its moment, run on by the page's clock), with the
// last set's reps. kiosk.js calls renderRest(view) on every view.
"use strict";
(() => { // its names stay its own: the page's scripts share one global scope
  const rest = { clock: null }; // {s: seconds resting, at: performance.now() when the view came}

  function renderRest(s) {
    rest.clock = s.resting_s == null ? null : { s: s.resting_s, at: performance.now() };
    const reps = s.last_set_reps;
    const node = document.getElementById("last-set");
    const said = reps == null ? "" : "last set " + reps + (reps === 1 ? " rep" : " reps");
    if (node.textContent !== said) node.textContent = said;
    showRest();
  }

  function clockText(seconds) {
    const whole = Math.floor(seconds);
    return Math.floor(whole / 60) + ":" + String(whole % 60).padStart(2, "0");
  }

  function showRest() {
    const box = document.getElementById("rest");
    box.hidden = !rest.clock;
    if (!rest.clock) return;
    const seconds = rest.clock.s + (performance.now() - rest.clock.at) / 1000;
    const said = clockText(seconds);
    const node = document.getElementById("rest-time");
    if (node.textContent !== said) node.textContent = said;
  }

  setInterval(showRest, 250);
  window.renderRest = renderRest;
})();
