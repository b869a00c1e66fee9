// The open review queue: keyboard triage (j/k move, x select, 1-5 label, e escalate, ? help),
// forms that save in place, and new mentions held under an "N new" bar.
// Served from /static so the CSP can forbid inline script; no library (none is needed for
// one fetch helper and a timer, and a third-party script would see the watch list).
(function () {
  "use strict";
  var LABELS = ["solidarity", "news", "hostile", "unrelated", "other"];
  // The page's words in its language (monitor/web/words.py script_words); English without them.
  var WORDS = (function () {
    var holder = document.getElementById("script-words");
    try { return holder ? JSON.parse(holder.textContent) : null; } catch (e) { return null; }
  })();
  function word(value) { return (WORDS && WORDS.words[value]) || value; }
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, name) { return name in values ? values[name] : all; });
  }
  var list = document.getElementById("cards");
  var current = -1;
  var pending = [];  // cards stored since the page was drawn, waiting under the bar

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

  // One line the reviewer can read; the card stays as it was.
  function explain(status, detail) {
    if (WORDS) {
      var e = WORDS.errors;
      if (status === 401 || status === 0) return e[String(status)];
      if (status === 403 && /CSRF/.test(detail)) return e.csrf;
      if (status === 403) return fill(e["403"], {detail: detail || e["403_default"]});
      return fill(e.other, {detail: detail || "HTTP " + status});
    }
    if (status === 401) return "Your session has ended: log in again in another tab, then retry. Nothing was changed.";
    if (status === 403 && /CSRF/.test(detail)) return "This page is out of date (logged in elsewhere?): reload it and try again. Nothing was changed.";
    if (status === 403) return "Not allowed: " + (detail || "your account may not do this") + ". Nothing was changed.";
    if (status === 0) return "The monitor did not answer (network or server down). Nothing was changed.";
    return "The action failed (" + (detail || "HTTP " + status) + "). Nothing was changed.";
  }

  function flash(message) {
    var box = document.getElementById("flash");
    box.textContent = message;
    box.hidden = !message;
    if (message) document.body.dataset.error = message;
    else delete document.body.dataset.error;
  }

  // POST a form body with the CSRF token; resolves with the JSON answer, rejects with a message.
  function post(url, body) {
    body.set("csrf_token", document.querySelector('meta[name="csrf-token"]').content);
    return fetch(url, {method: "POST", body: body, credentials: "same-origin", redirect: "manual",
                       headers: {"X-Requested-With": "fetch", "Accept": "application/json"}})
      .catch(function () { throw new Error(explain(0)); })
      .then(function (r) {
        if (r.type === "opaqueredirect") throw new Error(explain(401));
        if (r.ok) return r.json();
        return r.json().catch(function () { return {}; }).then(function (data) {
          throw new Error(explain(r.status, typeof data.detail === "string" ? data.detail : ""));
        });
      });
  }

  function show(changed) {
    changed.forEach(function (m) {
      var card = document.getElementById("mention-" + m.id);
      if (!card) return;
      card.className = card.className.replace(/state-\w+/, "state-" + m.review_state).replace(/ labelled-\w+/, "");
      if (m.label) card.classList.add("labelled-" + m.label);
      card.querySelector(".state").textContent = word(m.review_state);
      var label = card.querySelector(".label");
      label.textContent = m.label ? word(m.label) : "—";
      label.className = "label" + (m.label ? " label-" + m.label : "");
      card.querySelector(".assignee").textContent = m.assigned_to ? "→ " + (m.assignee || m.assigned_to) : "";
      var note = card.querySelector("form.note input[name=value]");
      if (note && document.activeElement !== note) note.value = m.note || "";
      // The selection was spent when the action was sent (act): a card selected again while
      // the answer was on its way stays selected.
    });
  }

  function send(body, after, failed) {
    return post("/review/act", body).then(function (data) {
      flash("");
      show(data.changed);
      if (after) after();
      refresh();
    }).catch(function (err) { flash(err.message); if (failed) failed(); });
  }

  function check(boxes, checked) {
    boxes.forEach(function (box) {
      box.checked = checked;
      box.closest("article.card").classList.toggle("selected", checked);
    });
  }

  function act(action, value) {
    var ids = selectedIds();
    if (!ids.length) return;
    // The selection is spent once sent: a reviewer who moves on and presses the next key
    // before the answer comes acts on the card under the cursor, not on this selection again.
    // A refused action gives the selection back, as the flash says nothing was changed.
    var boxes = Array.prototype.slice.call(document.querySelectorAll("input.select:checked"));
    check(boxes, false);
    var body = new URLSearchParams();
    body.append("action", action);
    if (value) body.append("value", value);
    ids.forEach(function (id) { body.append("ids", id); });
    send(body, function () { if (ids.length === 1) move(1); }, function () { check(boxes, true); });
  }

  // A card's own forms (label buttons, assign, note) save in place: no reload, no jump to the top.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("act") || !form.closest("article.card")) return;
    event.preventDefault();
    var body = new URLSearchParams(new FormData(form));
    var button = event.submitter;
    if (button && button.name) body.set(button.name, button.value);
    send(body);
  });

  function toggleSelect() {
    var all = cards();
    if (current < 0 || !all[current]) return;
    var box = all[current].querySelector("input.select");
    check([box], !box.checked);
  }

  function toggleHelp() {
    var help = document.getElementById("help");
    help.hidden = !help.hidden;
  }

  // New mentions: asked for every POLL_MS and after each action; held until the reviewer asks.
  function refresh() {
    if (!list) return;
    var query = new URLSearchParams(list.dataset.query || "");
    query.set("newest", list.dataset.newest || "0");
    fetch("/review/fresh?" + query.toString(), {credentials: "same-origin", redirect: "manual",
                                                headers: {"X-Requested-With": "fetch"}})
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (data) {
        var total = document.getElementById("queue-total");
        if (total && data.total !== null) total.textContent = data.total + (data.capped ? "+" : "");
        if (data.new) {
          pending.push(data.html);
          list.dataset.newest = data.newest;
          announce(countPending());
        }
      })
      .catch(function () { /* a missed poll is retried at the next one */ });
  }

  function countPending() {
    var holder = document.createElement("div");
    holder.innerHTML = pending.join("");
    return holder.querySelectorAll("article.card").length;
  }

  function announce(count) {
    var bar = document.getElementById("new-bar");
    var text = count + " new mention" + (count === 1 ? "" : "s") + " — show";
    if (WORDS) {
      var category = new Intl.PluralRules(document.documentElement.lang).select(count);
      text = fill(WORDS["new"][category] || WORDS["new"].other, {n: count});
    }
    document.getElementById("show-new").textContent = text;
    bar.hidden = count === 0;
  }

  function showNew() {
    var holder = document.createElement("div");
    holder.innerHTML = pending.join("");
    pending = [];
    var empty = list.querySelector("p.empty");
    if (empty) empty.remove();
    Array.prototype.slice.call(holder.querySelectorAll("article.card")).reverse().forEach(function (card) {
      var old = document.getElementById(card.id);
      if (old) old.remove();
      list.insertBefore(card, list.firstChild);
    });
    current = -1;
    announce(0);
    window.scrollTo(0, list.offsetTop);
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
  var showButton = document.getElementById("show-new");
  if (showButton) showButton.addEventListener("click", showNew);
  if (list) window.setInterval(refresh, Number(list.dataset.pollMs) || 20000);  // monitor.web.live.POLL_SECONDS
  document.body.dataset.keys = "ready";
})();
