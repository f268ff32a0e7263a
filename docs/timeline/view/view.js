// The view's script: replay (step, play at a speed, slider) and live
// following. The server sends the latest state at most five times a second
// (/events); a step fetches the state at one event (/state?at=N). Plain
// JavaScript, no library: the page must work offline.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  let state = JSON.parse($("initial").textContent);
  let follow = document.body.dataset.follow === "true";
  let playing = null;      // the interval of play, or null
  let lastPicture = 0;     // when the timeline was last fetched
  let seen = [];           // [time, total] of recent updates, for the rate
  let wanted = state.at;   // the event the last step asked for

  function text(el, s) { el.textContent = s; }
  function cells(el, names) {
    el.replaceChildren(...names.map((n) => { const li = document.createElement("li"); li.className = "cell"; li.textContent = n; return li; }));
  }
  function pairs(el, map) {
    const fds = Object.keys(map || {}).map(Number).sort((a, b) => a - b);
    el.replaceChildren(...fds.map((fd) => {
      const li = document.createElement("li"); li.dataset.fd = fd;
      const b = document.createElement("b"); b.className = "fd"; b.textContent = fd;
      const s = document.createElement("span"); s.className = "task"; s.textContent = map[fd];
      li.append(b, s); return li;
    }));
    return fds.length;
  }

  // render shows a state in the page: the same elements the server drew.
  function render(s) {
    state = s;
    text($("at"), s.at); text($("total"), s.total);
    const sl = $("slider"); sl.min = Math.max(0, s.first - 1); sl.max = s.total; sl.value = s.at;
    text($("line"), s.line || (s.at === 0 ? "(before the first trace line)" : ""));
    text($("lineNo"), s.lineNo ? "(input line " + s.lineNo + ")" : "");
    text($("note"), s.note || "");
    text($("output"), (s.output || []).join("\n"));
    text($("running"), s.running || "");
    cells($("ready"), s.ready || []); text($("readyCount"), (s.ready || []).length);
    text($("recvCount"), pairs($("recvWait"), s.recvWait));
    text($("sendCount"), pairs($("sendWait"), s.sendWait));
    // Many tasks: smaller cells, so that a room of fifty fits on the screen.
    $("recvWait").classList.toggle("dense", Object.keys(s.recvWait || {}).length > 12);
    $("sendWait").classList.toggle("dense", Object.keys(s.sendWait || {}).length > 12);
    $("ready").classList.toggle("dense", (s.ready || []).length > 12);
    const other = s.otherWait || {};
    $("otherBox").hidden = Object.keys(other).length === 0;
    $("otherWait").replaceChildren(...Object.keys(other).sort().map((n) => {
      const li = document.createElement("li");
      const b = document.createElement("b"); b.className = "fd"; b.textContent = other[n];
      const t = document.createElement("span"); t.className = "task"; t.textContent = n;
      li.append(b, t); return li;
    }));
    const sel = s.select;
    text($("select"), sel ? "event " + sel.at + ": watched " + sel.recv.length + " to read (" + sel.recv.join(", ") + "), " +
      sel.send.length + " to write (" + sel.send.join(", ") + "); " + sel.ready + " ready" +
      (sel.unnamed ? "; this trace does not name the tasks it woke" : "") : "no select yet");
    cells($("woken"), sel && sel.woken ? sel.woken : []);
    $("dropped").hidden = s.first <= 1;
    text($("dropped"), "Events before " + s.first + " were dropped to bound the view's memory: it holds events " + s.first + " to " + s.total + ".");
    $("gap").hidden = !s.gapAt;
    text($("gap"), s.gapAt ? "The program dropped trace lines before event " + s.gapAt + ": the queue is known again from the next select" +
      (s.queueKnown ? " (it is now)" : " (not yet)") + "; the maps show only the waits traced since." : "");
    $("badBox").hidden = !s.malformedCount;
    text($("badCount"), s.malformedCount || 0);
    $("malformed").replaceChildren(...(s.malformed || []).map((b) => {
      const li = document.createElement("li"); li.textContent = "input line " + b.line + " (event " + b.at + "): " + b.why + ": " + b.text; return li;
    }));
    picture(s);
    document.title = "Scheduler · event " + s.at;
    document.body.dataset.rendered = "js";
  }

  // picture fetches the timeline around the event shown: the last columns
  // while following (at most once a second), the columns around it in replay.
  function picture(s) {
    const now = Date.now();
    if (follow && now - lastPicture < 1000) return;
    lastPicture = now;
    const from = Math.max(s.first, follow ? s.at - 60 : s.at - 40);
    const to = follow ? s.at : s.at + 20;
    $("timeline").src = "/timeline.svg?from=" + from + "&to=" + to + "&mark=" + s.at;
  }

  function status() {
    let msg;
    if (follow) {
      const n = seen.length > 1 ? seen[seen.length - 1][1] - seen[0][1] : 0;
      const secs = seen.length > 1 ? (seen[seen.length - 1][0] - seen[0][0]) / 1000 : 0;
      const rate = secs > 0 ? n / secs : 0;
      msg = state.ended ? "Following: the trace has ended." : "Following the run live" +
        (rate > 5 ? ": " + Math.round(rate) + " events a second, faster than a page can show; it shows the latest state five times a second (sampled)." : ".");
    } else {
      msg = "Replay: ← → step, space plays and pauses, f follows the run." + (state.ended ? " The trace has ended." : "");
    }
    text($("status"), msg);
    $("follow").setAttribute("aria-pressed", follow);
    text($("play"), playing ? "⏸ pause" : "▶ play");
  }

  // go shows the state after event n, fetched from the server.
  async function go(n) {
    n = Math.max(Math.max(0, state.first - 1), Math.min(n, state.total));
    wanted = n;
    const r = await fetch("/state?at=" + n);
    if (wanted !== n) return; // a later step has asked for another
    if (r.status === 410) { text($("note"), await r.text()); return; }
    if (!r.ok) return;
    render(await r.json());
    history.replaceState(null, "", "/?at=" + n);
    status();
  }

  function setFollow(on) {
    follow = on;
    if (on) { stop(); history.replaceState(null, "", "/"); }
    status();
  }
  function stop() { if (playing) { clearInterval(playing); playing = null; } status(); }
  function play() {
    if (playing) { stop(); return; }
    setFollow(false);
    playing = setInterval(() => {
      if (state.at >= state.total) { stop(); return; }
      go(state.at + 1);
    }, 1000 / Number($("speed").value));
    status();
  }

  $("back").onclick = () => { setFollow(false); stop(); go(state.at - 1); };
  $("fwd").onclick = () => { setFollow(false); stop(); go(state.at + 1); };
  $("play").onclick = play;
  $("speed").onchange = () => { if (playing) { stop(); play(); } };
  $("slider").oninput = (e) => { setFollow(false); stop(); go(Number(e.target.value)); };
  $("follow").onclick = () => setFollow(!follow);
  $("theme").onclick = () => {
    const root = document.documentElement;
    const dark = root.dataset.theme ? root.dataset.theme === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
    root.dataset.theme = dark ? "light" : "dark";
    try { localStorage.setItem("theme", root.dataset.theme); } catch (e) { /* private mode */ }
  };
  try { const t = localStorage.getItem("theme"); if (t) document.documentElement.dataset.theme = t; } catch (e) { /* private mode */ }
  document.addEventListener("keydown", (e) => {
    if (e.target.tagName === "SELECT" || e.target.tagName === "INPUT") return;
    if (e.key === "ArrowLeft") $("back").click();
    else if (e.key === "ArrowRight") $("fwd").click();
    else if (e.key === " ") { e.preventDefault(); play(); }
    else if (e.key === "f") $("follow").click();
  });

  // The live stream: the latest state, at most five times a second.
  function listen() {
    const es = new EventSource("/events");
    es.onmessage = (e) => {
      const s = JSON.parse(e.data);
      seen.push([Date.now(), s.total]);
      while (seen.length > 2 && Date.now() - seen[0][0] > 3000) seen.shift();
      if (follow) render(s);
      else {
        state.total = s.total; state.first = s.first; state.ended = s.ended;
        text($("total"), s.total); $("slider").max = s.total; $("slider").min = Math.max(0, s.first - 1);
        $("dropped").hidden = s.first <= 1;
      }
      status();
    };
  }

  render(state);
  status();
  window.addEventListener("load", () => setTimeout(listen, 0));
})();
