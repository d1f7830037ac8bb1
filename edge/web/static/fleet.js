// The fleet page: every kiosk on one broker, straight from MQTT over WebSockets (a
// mosquitto `listener 9001` + `protocol websockets`; docs/mqtt.md). No server of ours:
// it reads the retained status, current and stats topics (and the bridge's "1"/"0") of
// <prefix>/+/ and keeps a row per kiosk. URL parameters fill the form: ?broker=ws://host:9001
// &prefix=dancepose&username=u (a password is typed, never put in a URL). A link can name
// any broker, so the page connects on its own only to one on its own host or in the kiosk's
// web.fleet_brokers (GET /fleet/brokers); any other waits for the Connect button.
"use strict";
const $ = (id) => document.getElementById(id);
const SUFFIXES = ["status", "current", "stats", "bridge"];
const kiosks = new Map(); // device id -> {status, current, stats, bridge}
let client = null;
let prefix = "dancepose";

function text(node, value) {
  if (node.textContent !== value) node.textContent = value;
}

function since(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "-";
  const s = Math.max(0, Math.round((Date.now() - t) / 1000));
  if (s < 60) return s + " s ago";
  if (s < 3600) return Math.floor(s / 60) + " min ago";
  if (s < 86400) return Math.floor(s / 3600) + " h ago";
  return Math.floor(s / 86400) + " d ago";
}

function summary(k) {
  const status = k.status || {};
  const current = k.current || {};
  const stats = k.stats || {};
  // the central copy of "online" stays retained when the kiosk's uplink dies: the bridge's
  // own will ("0") says so
  let state = status.state || "unknown";
  if (k.bridge === 0 && state !== "offline") state = "unreachable";
  // what the mode runs (edge/modes.py); a kiosk too old to say: show what there is
  const runs = current.analyzers || ["counting", "dance"];
  const counting = runs.includes("counting");
  const dancing = runs.includes("dance");
  const genre = current.genre && current.genre !== "none" ? current.genre_name : "-";
  const times = [status.time, current.time, stats.time].filter(Boolean).sort();
  return {
    state,
    count: counting && current.count != null ? String(current.count) : "-",
    exercise: counting ? current.exercise || current.selected_exercise || "-" : "(dancing)",
    genre: dancing ? genre : "-",
    fps: stats.fps != null ? stats.fps.toFixed(1) : "-",
    seen: times.length ? times[times.length - 1] : null,
    fault: current.fault || status.fault || (state === "unreachable" ? "uplink (bridge) down" : ""),
  };
}

function row(id) {
  let tr = document.querySelector(`tr[data-kiosk="${CSS.escape(id)}"]`);
  if (tr) return tr;
  tr = document.createElement("tr");
  tr.dataset.kiosk = id;
  for (const name of ["kiosk", "status", "count", "exercise", "genre", "fps", "seen", "fault"]) {
    const td = document.createElement("td");
    td.className = name;
    tr.appendChild(td);
  }
  tr.cells[1].appendChild(document.createElement("span"));
  const rows = [...$("kiosks").rows];
  const next = rows.find((r) => r.dataset.kiosk > id);
  $("kiosks").insertBefore(tr, next || null);
  return tr;
}

function render() {
  $("empty").hidden = kiosks.size > 0;
  for (const [id, k] of kiosks) {
    const s = summary(k);
    const cells = row(id).cells;
    text(cells[0], id);
    const badge = cells[1].firstChild;
    badge.className = "state " + s.state;
    text(badge, s.state);
    text(cells[2], s.count);
    text(cells[3], s.exercise);
    text(cells[4], s.genre);
    text(cells[5], s.fps);
    text(cells[6], s.seen ? since(s.seen) : "-");
    cells[6].title = s.seen || "";
    text(cells[7], s.fault);
  }
}

function onMessage(topic, payload) {
  if (!topic.startsWith(prefix + "/")) return;
  const [id, suffix, ...rest] = topic.slice(prefix.length + 1).split("/");
  if (!id || rest.length || !SUFFIXES.includes(suffix)) return;
  const k = kiosks.get(id) || {};
  if (payload.length === 0) {
    delete k[suffix]; // a cleared retained message
  } else {
    try {
      k[suffix] = JSON.parse(new TextDecoder().decode(payload));
    } catch (e) {
      return; // not ours: ignore rather than show garbage
    }
  }
  kiosks.set(id, k);
  render();
}

function connect(event) {
  if (event) event.preventDefault();
  if (client) client.end(true);
  kiosks.clear();
  $("kiosks").replaceChildren();
  render();
  prefix = $("prefix").value.trim().replace(/\/+$/, "");
  const url = $("broker").value.trim();
  const options = {
    clientId: "dancepose-fleet-" + Math.random().toString(16).slice(2, 10),
    protocolVersion: 5,
    reconnectPeriod: 2000,
    connectTimeout: 10000,
  };
  if ($("username").value) options.username = $("username").value;
  if ($("password").value) options.password = $("password").value;
  text($("connection"), "connecting to " + url + " ...");
  client = mqtt.connect(url, options);
  client.on("connect", () => {
    text($("connection"), "connected to " + url);
    client.subscribe(SUFFIXES.map((s) => `${prefix}/+/${s}`), { qos: 1 });
  });
  client.on("reconnect", () => text($("connection"), "reconnecting to " + url + " ..."));
  client.on("error", (e) => text($("connection"), "broker " + url + ": " + e.message));
  client.on("message", onMessage);
}

function allowed(url, brokers) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch (e) {
    return false;
  }
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") return false;
  if (parsed.hostname === location.hostname) return true; // the kiosk's own broker
  return brokers.includes(url.replace(/\/+$/, ""));
}

async function start() {
  let brokers = [];
  try {
    const reply = await fetch("/fleet/brokers", { cache: "no-store" });
    if (reply.ok) brokers = (await reply.json()).brokers || [];
  } catch (e) {
    brokers = []; // an older kiosk: only its own host connects by itself
  }
  const url = $("broker").value.trim();
  if (allowed(url, brokers)) {
    connect();
  } else {
    text($("connection"), "not connected: " + url + " is not a broker this kiosk knows " +
      "(web.fleet_brokers); check it, then press Connect");
  }
}

const params = new URLSearchParams(location.search);
const host = location.hostname || "localhost";
$("broker").value = params.get("broker") || `ws://${host}:9001`;
$("prefix").value = params.get("prefix") || "dancepose";
$("username").value = params.get("username") || "";
$("connect").addEventListener("submit", connect);
setInterval(render, 1000); // "last seen" ages
start();
