// Follow mode on the kiosk page: the teacher's skeleton beside the student, the move being
// danced and the progress through the routine (from GET /api/routine: the moves and the
// teacher's pose per frame), the last move's score and its one-line hint (from the view).
// The view's routine_t_s says where the teacher is at the view's moment; between views
// the page runs it on by its own clock. kiosk.js calls renderFollow(view) on every view.
// A routine recorded with music: the page fetches it (GET /api/routine/music) and plays it
// by that same clock while a round runs, at routine second t + the music's offset_s (the
// device's follower expects each move at its music time from the round's start).
"use strict";
(() => { // its names stay its own: the page's scripts share one global scope
  const follow = {
    reference: null, // GET /api/routine's answer for the routine named by `loadedFor`
    loadedFor: null,
    clock: null, // {t: routine seconds, at: performance.now() when the view came}
    bounds: null, // the teacher's extent over the routine: the drawing's fixed frame
    shown: false,
  };
  const MUSIC_SLACK_S = 0.15; // the music is moved to the clock when this far off it
  const TAP = "tap the screen to play the music"; // where the browser wants a gesture first
  const music = { offset: 0, url: null, trying: false, tap: false };

  function followQuery() {
    const token = new URLSearchParams(location.search).get("token");
    return token ? "?token=" + encodeURIComponent(token) : "";
  }

  async function loadReference(routine) {
    follow.loadedFor = routine;
    follow.reference = null;
    follow.bounds = null;
    loadMusic(routine, null); // silent until the new routine's music is in
    if (!routine) return;
    try {
      const reply = await fetch("/api/routine" + followQuery(), { cache: "no-store" });
      if (!reply.ok || follow.loadedFor !== routine) return;
      const reference = await reply.json();
      if (reference.routine !== routine) return; // changed again meanwhile
      follow.reference = reference;
      follow.bounds = poseBounds(reference.pose);
      await loadMusic(routine, reference.music);
    } catch (e) {
      follow.loadedFor = null; // try again on the next view
    }
  }

  // The routine's music as a blob: the <audio> can then seek anywhere at once.
  async function loadMusic(routine, about) {
    const audio = document.getElementById("music");
    audio.pause();
    audio.removeAttribute("src");
    if (music.url) URL.revokeObjectURL(music.url);
    music.url = null;
    if (!about) return;
    const reply = await fetch("/api/routine/music" + followQuery(), { cache: "no-store" });
    if (!reply.ok || follow.loadedFor !== routine) return;
    const blob = await reply.blob();
    if (follow.loadedFor !== routine) return;
    music.url = URL.createObjectURL(blob);
    music.offset = about.offset_s;
    audio.src = music.url;
  }

  // The music at routine second t (null: no round, silence).
  function playMusic(t) {
    const audio = document.getElementById("music");
    if (!music.url) return;
    const at = t == null || !follow.shown ? null : t + music.offset;
    if (at == null || at < 0 || at >= audio.duration) {
      if (!audio.paused) audio.pause();
      return;
    }
    if (audio.readyState < 1) return; // its length is not known yet
    if (Math.abs(audio.currentTime - at) > MUSIC_SLACK_S) audio.currentTime = at;
    if (audio.paused && !music.trying && !music.tap) {
      music.trying = true; // one play() at a time
      audio.play().then(() => { music.trying = false; }, () => {
        music.trying = false;
        music.tap = true;
        show("hint", TAP);
      });
    }
  }

  function poseBounds(pose) {
    if (!pose) return null;
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const frame of pose) {
      for (let i = 0; i < frame.length; i += 2) {
        if (frame[i] === null || frame[i + 1] === null) continue;
        x0 = Math.min(x0, frame[i]); x1 = Math.max(x1, frame[i]);
        y0 = Math.min(y0, frame[i + 1]); y1 = Math.max(y1, frame[i + 1]);
      }
    }
    return x0 <= x1 ? { x0, y0, x1, y1 } : null;
  }

  function show(id, value) {
    const node = document.getElementById(id);
    if (node.textContent !== value) node.textContent = value;
  }

  function renderFollow(s) {
    const following = s.analyzers.includes("follow");
    document.body.classList.toggle("following", following);
    document.getElementById("follow").hidden = !following;
    follow.shown = following;
    showTeacher();
    if (!following) return;
    if (s.routine !== follow.loadedFor) loadReference(s.routine);
    follow.clock = s.routine_t_s == null ? null : { t: s.routine_t_s, at: performance.now() };
    show("routine-name", s.routine || "no routine selected");
    const last = s.last_move;
    show("move-score", last ? String(Math.round(last.score)) : "-");
    show("move-scored", last ? "last move: " + last.name : "last move");
    show("hint", music.tap ? TAP : last ? last.hint : "");
    show("routine-score", s.routine_score != null
      ? "routine score " + Math.round(s.routine_score) : "");
  }

  // Where the teacher is now: routine seconds, or null while no round runs.
  function routineNow() {
    const c = follow.clock;
    if (!c) return null;
    const t = c.t + (performance.now() - c.at) / 1000;
    const length = follow.reference ? follow.reference.length_s : Infinity;
    return Math.min(t, length);
  }

  function drawTeacher(t) {
    const canvas = document.getElementById("teacher");
    const box = canvas.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    const width = Math.round(box.width * ratio), height = Math.round(box.height * ratio);
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width; canvas.height = height;
    }
    const g = canvas.getContext("2d");
    g.clearRect(0, 0, width, height);
    const reference = follow.reference, b = follow.bounds;
    if (!reference || !reference.pose || !b || !width || !height) return;
    const frames = reference.pose;
    const index = Math.max(0, Math.min(frames.length - 1, Math.round((t || 0) * reference.pose_fps)));
    const frame = frames[index];
    const margin = 0.08 * Math.min(width, height);
    const scale = Math.min((width - 2 * margin) / (b.x1 - b.x0 || 1), (height - 2 * margin) / (b.y1 - b.y0 || 1));
    const ox = (width - scale * (b.x1 - b.x0)) / 2 - scale * b.x0;
    const oy = (height - scale * (b.y1 - b.y0)) / 2 - scale * b.y0;
    const at = (joint) => {
      const x = frame[2 * joint], y = frame[2 * joint + 1];
      return x === null || y === null ? null : [ox + scale * x, oy + scale * y];
    };
    g.lineCap = "round";
    g.lineWidth = Math.max(3, 0.012 * height);
    g.strokeStyle = "#fc6";
    g.beginPath();
    for (const [a, c] of reference.bones) {
      const p = at(a), q = at(c);
      if (!p || !q) continue;
      g.moveTo(p[0], p[1]);
      g.lineTo(q[0], q[1]);
    }
    g.stroke();
    const head = at(0); // the nose
    if (head) {
      g.fillStyle = "#fc6";
      g.beginPath();
      g.arc(head[0], head[1], Math.max(4, 0.02 * height), 0, 2 * Math.PI);
      g.fill();
    }
  }

  function drawProgress(t) {
    const reference = follow.reference;
    if (!reference) {
      show("move-now", "");
      document.getElementById("progress-fill").style.width = "0%";
      return;
    }
    const moves = reference.moves;
    const share = t == null ? 0 : Math.min(1, t / reference.length_s);
    document.getElementById("progress-fill").style.width = (100 * share).toFixed(1) + "%";
    if (t == null) {
      show("move-now", "waiting for the dancer · " + moves.length + " moves");
      return;
    }
    let index = moves.findIndex((m) => t < m.end_s);
    if (index < 0) index = moves.length - 1;
    show("move-now", "move " + (index + 1) + " of " + moves.length + ": " + moves[index].name);
  }

  // The teacher's pane: in follow mode, once the routine's pose is in (a routine recorded
  // before the teacher's pose was kept has none: no empty pane).
  function showTeacher() {
    const canvas = document.getElementById("teacher");
    const hidden = !follow.shown || !follow.reference || !follow.reference.pose;
    if (canvas.hidden !== hidden) canvas.hidden = hidden;
  }

  function followFrame() {
    showTeacher();
    if (follow.shown) {
      const t = routineNow();
      drawTeacher(t);
      drawProgress(t);
    }
    playMusic(follow.shown ? routineNow() : null);
    requestAnimationFrame(followFrame);
  }
  requestAnimationFrame(followFrame);
  document.addEventListener("click", () => { // a touch lets the page play the music
    if (!music.tap) return;
    music.tap = false;
    show("hint", "");
  });
  window.renderFollow = renderFollow;
})();
