// Call board (/board/): pushed by Server-Sent Events, redrawn from /api/v1/board/state.
// Plain script, no build step, no other origin. Text is set with textContent only.
//
// Sound: the spoken calls are queued and played one after another (never two at once);
// window.boardPlayLog records each play's start and end (tests read it). Chromium
// blocks sound until a tap unless started with --autoplay-policy=no-user-gesture-required
// (see README): then the "tap to enable sound" button shows.
"use strict";

(function () {
  const params = new URLSearchParams(location.search);
  const groups = (params.get("groups") || "").slice(0, 200);
  const query = groups ? "?groups=" + encodeURIComponent(groups) : "";
  const HIGHLIGHT_MS = 6000;
  const $ = (id) => document.getElementById(id);
  let lang = params.get("lang") === "en" ? "en" : "zh";
  let state = null;
  let source = null;
  let lastMessage = 0;
  let heartbeatMs = 2000;
  let redrawTimer = null;
  const fresh = new Map(); // "number|counter" -> time it was (re)called
  const queue = [];
  let playing = null;
  let soundBlocked = false;
  const audio = new Audio();
  audio.preload = "auto";
  window.boardPlayLog = [];
  window.boardEvents = [];

  const T = {
    zh: { window: (c) => c + "号窗口", none: "暂无", people: (n) => n + " 人", lang: "English" },
    en: { window: (c) => "Counter " + c, none: "None", people: (n) => n + " waiting", lang: "中文" },
  };

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function applyLang() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-zh]").forEach((node) => {
      node.textContent = node.dataset[lang];
    });
    $("lang").textContent = T[lang].lang;
    if (state) {
      $("hall-name").textContent = lang === "zh" ? state.hall_name : state.hall_name_en;
    }
    render();
  }

  function groupName(id) {
    const g = state && state.groups.find((x) => x.id === id);
    return g ? (lang === "zh" ? g.name : g.name_en) : id;
  }

  function callItem(call, big) {
    const li = el("li", big ? "call big" : "call");
    li.dataset.number = call.ticket_number;
    li.dataset.counter = call.counter_id;
    const key = call.ticket_number + "|" + call.counter_id;
    if (big && fresh.has(key) && Date.now() - fresh.get(key) < HIGHLIGHT_MS) {
      li.classList.add("fresh");
    }
    li.appendChild(el("span", "number", call.ticket_number));
    li.appendChild(el("span", "arrow", "→"));
    li.appendChild(el("span", "counter", T[lang].window(call.counter_id)));
    return li;
  }

  function fill(list, items) {
    list.replaceChildren(...items);
    if (!items.length) list.appendChild(el("li", "empty", T[lang].none));
  }

  function render() {
    if (!state) return;
    fill($("calls-now"), state.calls_now.map((c) => callItem(c, true)));
    fill($("last-calls"), state.last_calls.map((c) => callItem(c, false)));
    fill(
      $("waiting"),
      state.groups.map((g) => {
        const li = el("li", "group");
        li.dataset.group = g.id;
        li.appendChild(el("span", "name", groupName(g.id)));
        li.appendChild(el("span", "count", T[lang].people(g.waiting)));
        return li;
      }),
    );
    const onBreak = state.counters_on_break || [];
    fill(
      $("breaks"),
      [...onBreak].map((c) => {
        const li = el("li", "break", T[lang].window(c));
        li.dataset.counter = c;
        return li;
      }),
    );
  }

  async function loadState() {
    const resp = await fetch("/api/v1/board/state" + query, { cache: "no-store" });
    if (!resp.ok) throw new Error("state " + resp.status);
    state = await resp.json();
    $("hall-name").textContent = lang === "zh" ? state.hall_name : state.hall_name_en;
    render();
  }

  function scheduleRedraw(delay) {
    if (redrawTimer) return;
    redrawTimer = setTimeout(async () => {
      redrawTimer = null;
      try {
        await loadState();
      } catch (err) {
        showLost();
      }
    }, delay);
  }

  // -- sound: one announcement at a time ------------------------------------------------
  function enqueue(url, label) {
    queue.push({ url, label });
    if (!playing) playNext();
  }

  function playNext() {
    if (playing || !queue.length) return;
    playing = queue.shift();
    const entry = { url: playing.url, label: playing.label, queued_at: performance.now() };
    playing.entry = entry;
    audio.src = playing.url;
    const started = audio.play();
    if (started && started.catch) {
      started.catch((err) => {
        if (err && err.name === "NotAllowedError") {
          soundBlocked = true;
          $("sound").hidden = false;
          queue.unshift(playing); // keep it: played once sound is enabled
          playing = null;
        } else {
          finish("error");
        }
      });
    }
  }

  function finish(how) {
    if (!playing) return;
    playing.entry.end = performance.now();
    playing.entry.result = how;
    if (playing.entry.start === undefined) window.boardPlayLog.push(playing.entry);
    playing = null;
    setTimeout(playNext, 300); // a short pause between two calls
  }

  audio.addEventListener("playing", () => {
    if (playing && playing.entry.start === undefined) {
      playing.entry.start = performance.now();
      window.boardPlayLog.push(playing.entry);
    }
  });
  audio.addEventListener("ended", () => finish("ended"));
  audio.addEventListener("error", () => finish("error"));

  $("sound").addEventListener("click", () => {
    soundBlocked = false;
    $("sound").hidden = true;
    playNext();
  });

  // -- the push stream --------------------------------------------------------------------
  function showLost() {
    $("conn").hidden = false;
    document.body.classList.add("lost");
  }

  function showConnected() {
    $("conn").hidden = true;
    document.body.classList.remove("lost");
  }

  function onEvent(kind, data) {
    window.boardEvents.push({ kind, ...data });
    if (kind === "call" || kind === "recall") {
      fresh.set(data.ticket_number + "|" + data.counter_id, Date.now());
      if (data.audio_url) enqueue(data.audio_url, kind + " " + data.ticket_number);
      if (state) {
        // show it at once; the full state follows
        state.calls_now = [
          { ticket_number: data.ticket_number, counter_id: data.counter_id, group_id: data.group_id },
          ...state.calls_now.filter((c) => c.counter_id !== data.counter_id),
        ];
        render();
      }
      scheduleRedraw(150);
      setTimeout(render, HIGHLIGHT_MS + 50); // the highlight ends
    } else {
      scheduleRedraw(kind === "issue" ? 1000 : 150);
    }
  }

  const KINDS = [
    "issue", "call", "recall", "no_show", "complete", "transfer", "hold", "resume",
    "pause", "open", "rating", "resync",
  ];

  function connect() {
    if (source) source.close();
    source = new EventSource("/api/v1/board/events" + query);
    lastMessage = Date.now();
    source.addEventListener("hello", async (msg) => {
      lastMessage = Date.now();
      try {
        heartbeatMs = Math.max(200, (JSON.parse(msg.data).heartbeat_s || 2) * 1000);
      } catch (err) {
        heartbeatMs = 2000;
      }
      try {
        await loadState();
        showConnected();
      } catch (err) {
        showLost();
      }
    });
    source.addEventListener("heartbeat", () => {
      lastMessage = Date.now();
    });
    KINDS.forEach((kind) =>
      source.addEventListener(kind, (msg) => {
        lastMessage = Date.now();
        onEvent(kind, JSON.parse(msg.data));
      }),
    );
    source.onerror = () => {
      showLost();
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 1000);
    };
  }

  // A connection that went silent (no heartbeat) is dead even if the browser did not notice.
  setInterval(() => {
    const silence = Date.now() - lastMessage;
    if (silence > Math.min(4000, heartbeatMs * 2 + 500)) {
      showLost();
      connect();
    }
  }, 500);

  setInterval(() => {
    const now = new Date();
    $("clock").textContent = now.toLocaleTimeString(lang === "zh" ? "zh-CN" : "en-GB", {
      hour: "2-digit",
      minute: "2-digit",
    });
  }, 1000);

  $("lang").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    applyLang();
  });

  window.boardSoundBlocked = () => soundBlocked;
  applyLang();
  connect();
})();
