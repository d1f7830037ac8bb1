// The kiosk page: renders the device's state as /api/events sends it (the `view` event,
// after every change; GET /api/state every few seconds as a resync), the frame stream in
// an <img>, commands as POST /api/command (the MQTT command JSON).
"use strict";
const token = new URLSearchParams(location.search).get("token");
const query = token ? "?token=" + encodeURIComponent(token) : "";
const $ = (id) => document.getElementById(id);
let options = "";

function text(id, value) {
  const node = $(id);
  if (node.textContent !== value) node.textContent = value;
}

function render(s) {
  text("count", String(s.count));
  text("partial", s.partial ? s.partial + " partial" : "");
  renderRep(s);
  text("exercise", s.exercise || "-");
  text("phase", s.phase && s.phase !== "other" ? s.phase : "");
  const dancing = s.analyzers.includes("dance"); // what the mode runs (edge/modes.py)
  text("genre", dancing ? danceLabel(s) : "");
  text("confidence", s.confidence != null && s.genre && s.genre !== "none"
    ? Math.round(100 * s.confidence) + "%" : "");
  text("fps", s.fps ? s.fps.toFixed(0) + " fps" : "");
  const fault = $("fault");
  fault.hidden = !s.fault;
  text("fault", s.fault || "");
  const wanted = JSON.stringify([s.exercises, s.modes]);
  if (wanted !== options) {
    options = wanted;
    fill("exercise-select", s.exercises);
    fill("mode-select", s.modes);
  }
  if (document.activeElement !== $("exercise-select")) $("exercise-select").value = s.selected_exercise;
  if (document.activeElement !== $("mode-select")) $("mode-select").value = s.mode;
  renderFollow(s); // follow.js: the teacher, the move, its score and hint
  renderRest(s); // rest.js: the rest timer after a set
  renderHold(s); // hold.js: a timed hold's seconds in place of the rep count
  renderPeople(s); // people.js: a tile per person when several are in view
}

// The newest counted rep: its range of motion (of the set's best) as a bar, its tempo.
function renderRep(s) {
  const range = s.last_rep_range, down = s.last_rep_down_s, up = s.last_rep_up_s;
  $("rep-quality").hidden = range == null && down == null;
  $("range-fill").style.width = range != null ? Math.round(100 * range) + "%" : "0%";
  text("tempo", down != null && up != null
    ? "tempo " + down.toFixed(1) + " / " + up.toFixed(1) + " s" : "");
}

function fill(id, values) {
  const select = $(id);
  select.replaceChildren(...values.map((v) => new Option(v, v)));
}

let pending = null;
async function refresh() {
  if (pending) return pending;
  pending = (async () => {
    try {
      const reply = await fetch("/api/state" + query, { cache: "no-store" });
      if (reply.ok) render(await reply.json());
    } catch (e) {
      $("fault").hidden = false;
      text("fault", "DancePose is not answering");
    } finally {
      pending = null;
    }
  })();
  return pending;
}

async function command(body) {
  text("message", "");
  try {
    const reply = await fetch("/api/command" + query, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    const result = await reply.json();
    if (!result.ok) text("message", result.error);
  } catch (e) {
    text("message", "command not sent: " + e);
  }
  refresh();
}

$("reset").addEventListener("click", () => command({ action: "reset_count" }));
$("exercise-select").addEventListener("change", (e) =>
  command({ action: "set_exercise", exercise: e.target.value }));
$("mode-select").addEventListener("change", (e) => command({ action: "set_mode", mode: e.target.value }));

function startFrames() {
  const img = $("frame");
  img.onerror = () => setTimeout(() => { img.src = "/stream.mjpg" + query + (query ? "&" : "?") + "t=" + Date.now(); }, 1000);
  img.src = "/stream.mjpg" + query;
}

const RESYNC_MS = 5000; // fps and the queue change without an event
const events = new EventSource("/api/events" + query);
events.addEventListener("view", (e) => render(JSON.parse(e.data)));
events.addEventListener("stats", refresh);
events.onerror = () => refresh(); // shows "not answering" while the device is away
setInterval(refresh, RESYNC_MS);
startFrames();
refresh();
