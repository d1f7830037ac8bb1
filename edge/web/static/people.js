// Several people in front of the kiosk: a tile per person (the view's `people`), each in
// the colour their skeleton has on the camera image (the view gives it: edge/overlay.py
// declares the colours), with their count (a timed hold's seconds), exercise and phase,
// their genre, or in follow mode their last move's score. With one person the page is the
// single big count it always was. The rest timer is the main person's: hidden while there
// are tiles. kiosk.js calls renderPeople(view).
"use strict";

function renderPeople(s) {
  const people = s.people || [];
  const several = people.length > 1;
  document.body.classList.toggle("several", several);
  document.getElementById("rest").style.display = several ? "none" : "";
  const box = document.getElementById("people");
  box.hidden = !several;
  if (!several) return;
  const dancing = s.analyzers.includes("dance");
  const counting = s.analyzers.includes("counting");
  const following = s.analyzers.includes("follow");
  const tiles = people.map((p) => personTile(box, p, dancing, counting, following));
  if (tiles.some((tile, i) => box.children[i] !== tile) || box.children.length !== tiles.length) {
    box.replaceChildren(...tiles); // who is in view changed: the tiles follow, by id
  }
  setText(document.getElementById("people-total"), counting ? "total " + s.total_count : "");
}

function personTile(box, p, dancing, counting, following) {
  let tile = box.querySelector('[data-person="' + p.person + '"]');
  if (!tile) {
    tile = document.createElement("div");
    tile.className = "person";
    tile.dataset.person = String(p.person);
    tile.innerHTML = '<div class="person-id"></div><div class="person-count"></div>' +
      '<div class="person-what"></div>';
  }
  tile.style.borderColor = p.color;
  const id = tile.querySelector(".person-id");
  id.style.color = p.color;
  setText(id, "person " + p.person);
  const score = p.last_move_score == null ? "-" : String(Math.round(p.last_move_score));
  const held = counting && p.hold_s != null; // a timed hold: its seconds (hold.js's rule)
  const count = tile.querySelector(".person-count");
  count.classList.toggle("seconds", held); // its unit, smaller, from kiosk.css
  setText(count, counting ? String(held ? p.hold_s : p.count) : (following ? score : ""));
  const phase = held ? (p.holding ? " holding" : " last hold")
    : (p.phase && p.phase !== "other" ? " " + p.phase : "");
  const genre = dancing ? danceLabel(p) : "";
  const what = counting ? (p.exercise || "-") + phase : (following ? p.move || "" : "");
  setText(tile.querySelector(".person-what"), [what, dancing ? genre : ""].filter(Boolean).join(" · "));
  return tile;
}

function setText(node, value) {
  if (node.textContent !== value) node.textContent = value;
}

// A dance verdict as the page says it (current's genre and dancing, one person's or the
// top level's): "dancing: waltz", "dancing" (style not known), "not dancing", or "no dance"
// before the first verdict.
function danceLabel(p) {
  if (p.dancing == null) return "no dance";
  if (p.genre === "none") return "not dancing";
  return p.genre_name ? "dancing: " + p.genre_name : "dancing";
}
