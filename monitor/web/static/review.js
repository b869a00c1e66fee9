// Keyboard triage for /review: j/k move, x select, 1-5 label, e escalate, ? help.
// Served from /static so the CSP can forbid inline script. Actions POST /review/act with
// X-Requested-With: fetch and update the card in place.
(function () {
  "use strict";
  var LABELS = ["solidarity", "news", "hostile", "unrelated", "other"];
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var current = -1;

  function cards() { return Array.prototype.slice.call(document.querySelectorAll("article.card")); }

  function move(step) {
    var all = cards();
    if (!all.length) return;
    if (current >= 0 && all[current]) all[current].classList.remove("current");
    current = Math.max(0, Math.min(all.length - 1, current + step));
    all[current].classList.add("current");
    all[current].focus();
    all[current].scrollIntoView({block: "nearest"});
  }

  function selectedIds() {
    var boxes = document.querySelectorAll("input.select:checked");
    if (boxes.length) return Array.prototype.map.call(boxes, function (b) { return b.value; });
    var all = cards();
    return current >= 0 && all[current] ? [all[current].dataset.id] : [];
  }

  function show(changed) {
    changed.forEach(function (m) {
      var card = document.getElementById("mention-" + m.id);
      if (!card) return;
      card.className = card.className.replace(/state-\w+/, "state-" + m.review_state);
      card.querySelector(".state").textContent = m.review_state;
      card.querySelector(".label").textContent = m.label || "—";
      var box = card.querySelector("input.select");
      box.checked = false;
      card.classList.remove("selected");
    });
  }

  function act(action, value) {
    var ids = selectedIds();
    if (!ids.length) return;
    var body = new URLSearchParams();
    body.append("csrf_token", token);
    body.append("action", action);
    if (value) body.append("value", value);
    ids.forEach(function (id) { body.append("ids", id); });
    fetch("/review/act", {method: "POST", body: body, credentials: "same-origin",
                          headers: {"X-Requested-With": "fetch"}})
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (data) { show(data.changed); if (ids.length === 1) move(1); })
      .catch(function (err) { document.body.dataset.error = String(err); });
  }

  function toggleSelect() {
    var all = cards();
    if (current < 0 || !all[current]) return;
    var box = all[current].querySelector("input.select");
    box.checked = !box.checked;
    all[current].classList.toggle("selected", box.checked);
  }

  function toggleHelp() {
    var help = document.getElementById("help");
    help.hidden = !help.hidden;
  }

  document.addEventListener("keydown", function (event) {
    var t = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (t && (t.tagName === "INPUT" && t.type !== "checkbox" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) return;
    var key = event.key;
    if (key === "j") move(1);
    else if (key === "k") move(-1);
    else if (key === "x") toggleSelect();
    else if (key === "e") act("escalate");
    else if (key === "?") toggleHelp();
    else if (key >= "1" && key <= "5") act("label", LABELS[Number(key) - 1]);
    else return;
    event.preventDefault();
  });
  var helpButton = document.getElementById("help-toggle");
  if (helpButton) helpButton.addEventListener("click", toggleHelp);
  document.body.dataset.keys = "ready";
})();
