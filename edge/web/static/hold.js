// A timed hold on the kiosk page (a plank, a wall sit: edge/counting/hold.py): while one
// lasts, its seconds in big type labelled with the hold's name in place of the rep count;
// after it ends, the last hold's seconds, until the count is reset or the exercise changes
// (the view's hold_s and holding: current's). kiosk.js calls renderHold(view).
"use strict";
(() => { // its names stay its own: the page's scripts share one global scope
  function show(id, value) {
    const node = document.getElementById(id);
    if (node.textContent !== value) node.textContent = value;
  }

  function renderHold(s) {
    const shown = s.hold_s != null && s.analyzers.includes("counting");
    document.body.classList.toggle("hold-shown", shown);
    document.body.classList.toggle("holding", shown && s.holding);
    document.getElementById("hold").hidden = !shown;
    if (!shown) return;
    show("hold-name", (s.exercise || "hold").replaceAll("_", " "));
    show("hold-state", s.holding ? "holding" : "last hold");
    show("hold-seconds", String(s.hold_s));
  }

  window.renderHold = renderHold;
})();
