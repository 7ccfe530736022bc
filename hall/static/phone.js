// The citizen's ticket page (/t/<id>/<signature>): progress, live calls pushed by the
// hall's event stream (this ticket only), and the rating after 办结. textContent only.
"use strict";

(function () {
  const { $, levelButtons, reasonButtons, showResult, setLang } = window.citizen;
  const base = location.pathname.replace(/\/+$/, "");
  let lang = "zh";
  let state = null;
  let live = null; // the last pushed event of this ticket, shown before the state reloads
  let level = null;
  let chosen = new Set();
  let ratingDrawn = ""; // what the rating buttons were drawn from (redrawn only on change)
  let source = null;
  let lastMessage = Date.now();
  let heartbeatMs = 2000;
  let refreshTimer = null;
  let sending = false;
  const key = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2))
    .replace(/[^A-Za-z0-9_-]/g, "");
  window.phoneLog = [];

  const T = {
    zh: {
      waiting: "请耐心等候叫号",
      called: (c) => "请到 " + c + " 号窗口",
      transferred: "已转窗，请继续等候叫号",
      transferredTo: (c) => "已转到 " + c + " 号窗口，请等候叫号",
      missed: "您已过号，请到服务台咨询",
      held: "业务已挂起，请听从窗口工作人员安排",
      done: "已办结，感谢您的耐心",
      people: (n) => n + " 人",
      minutes: (m) => (m <= 0 ? "马上" : "约 " + m + " 分钟"),
      none: "—",
      thanks: "感谢您的评价！",
      rated: "本次办事已经评价过了，感谢您的反馈。",
      failed: "提交失败，请稍后再试。",
    },
    en: {
      waiting: "Please wait to be called",
      called: (c) => "Please go to counter " + c,
      transferred: "Transferred: please wait to be called again",
      transferredTo: (c) => "Transferred to counter " + c + ": please wait",
      missed: "Your number was missed: please ask at the help desk",
      held: "On hold: please follow the counter staff",
      done: "Completed. Thank you for waiting",
      people: (n) => String(n),
      minutes: (m) => (m <= 0 ? "now" : "about " + m + " min"),
      none: "—",
      thanks: "Thank you for your rating!",
      rated: "This visit has already been rated. Thank you.",
      failed: "Could not send, please try again.",
    },
  };

  function statusLine() {
    const t = T[lang];
    const kind = live ? live.kind : null;
    const s = state ? state.status : null;
    if (kind === "call" || kind === "recall") return ["called", t.called(live.counter)];
    if (kind === "no_show") return ["missed", t.missed];
    if (kind === "transfer") {
      return ["waiting", live.to_counter ? t.transferredTo(live.to_counter) : t.transferred];
    }
    if (kind === "complete") return ["done", t.done];
    if (kind === "hold") return ["waiting", t.held];
    if (s === "called") return ["called", t.called(state.counter)];
    if (s === "no_show") return ["missed", t.missed];
    if (s === "transferred") return ["waiting", t.transferred];
    if (s === "held") return ["waiting", t.held];
    if (s === "completed") return ["done", t.done];
    return ["waiting", t.waiting];
  }

  function render() {
    const t = T[lang];
    const [cls, text] = statusLine();
    const status = $("status");
    status.className = "status " + cls;
    status.textContent = text;
    document.body.dataset.status = cls;
    if (!state) return;
    $("number").textContent = state.number;
    $("service").textContent = state.service_name;
    $("group").textContent = state.window_group_name;
    $("location").textContent = state.location || t.none;
    const waiting = state.status === "waiting" || state.status === "transferred";
    $("ahead").textContent = waiting ? t.people(state.people_ahead) : t.none;
    $("wait").textContent = waiting ? t.minutes(Math.ceil(state.estimated_wait_s / 60)) : t.none;
    renderRating();
  }

  function renderRating() {
    const r = state.rating;
    const open = r.state === "open";
    $("rate").hidden = !open;
    document.body.dataset.rating = r.state;
    if (r.state === "rated" && $("rate-result").hidden) showResult(T[lang].rated);
    if (!open) return;
    // every update of the page (the queue moves on after 办结) would otherwise replace the
    // buttons under the citizen's finger, and the tap would be lost
    const drawn = JSON.stringify([lang, level, [...chosen], r.levels, r.reasons]);
    if (drawn !== ratingDrawn) {
      ratingDrawn = drawn;
      $("levels").replaceChildren(...levelButtons(r.levels, lang, level, chooseLevel));
      $("reasons").replaceChildren(...reasonButtons(r.reasons, chosen, renderRating));
    }
    $("reasons-box").hidden = !(level && r.bad_levels.includes(level));
  }

  function chooseLevel(lv) {
    level = lv;
    if (state.rating.bad_levels.includes(lv)) renderRating();
    else send();
  }

  async function send() {
    if (sending || !level) return;
    sending = true;
    const body = { idempotency_key: key, level: level, reasons: Array.from(chosen) };
    try {
      const resp = await fetch(base + "/rating", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      const data = await resp.json().catch(() => ({}));
      window.phoneLog.push({ rating: resp.status, code: data.code || null });
      if (resp.ok) {
        state.rating.state = "rated";
        $("rate").hidden = true;
        showResult(T[lang].thanks);
        document.body.dataset.rating = "rated";
      } else if (typeof data.detail === "string") {
        showResult(data.detail); // written for the citizen (e.g. already rated: 409)
        if (resp.status === 409) {
          state.rating.state = "rated";
          $("rate").hidden = true;
          document.body.dataset.rating = "rated";
        }
      } else {
        showResult(T[lang].failed);
      }
    } catch (err) {
      showResult(T[lang].failed);
    } finally {
      sending = false;
    }
  }

  async function load() {
    try {
      const resp = await fetch(base + "/state", { cache: "no-store" });
      if (resp.status === 404) {
        location.reload(); // expired: the server shows the plain 404 page
        return;
      }
      if (!resp.ok) return;
      state = await resp.json();
      window.phoneLog.push({ loaded: state.status, at: Date.now() });
      live = null; // the state now includes what was pushed
      if (!window.phoneLang) {
        window.phoneLang = state.language;
        if (state.language === "en" && lang !== "en") toggleLang();
      }
      render();
    } catch (err) {
      /* offline: the stream's reconnect loads again */
    }
  }

  function refreshSoon(maxDelayMs) {
    // many phones get the same hint at once: spread their reloads
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      load();
    }, Math.random() * maxDelayMs);
  }

  function connect() {
    if (source) source.close();
    source = new EventSource(base + "/events");
    source.addEventListener("hello", (msg) => {
      lastMessage = Date.now();
      heartbeatMs = Math.max(200, (JSON.parse(msg.data).heartbeat_s || 2) * 1000);
      document.body.classList.remove("lost");
      $("conn").hidden = true;
      load(); // subscribed first, then the full state: nothing falls between
    });
    source.addEventListener("heartbeat", () => {
      lastMessage = Date.now();
    });
    source.addEventListener("ticket", (msg) => {
      lastMessage = Date.now();
      live = JSON.parse(msg.data);
      window.phoneLog.push({ event: live.kind, counter: live.counter, at: Date.now() });
      render();
      load();
    });
    source.addEventListener("queue", () => {
      lastMessage = Date.now();
      refreshSoon(3000);
    });
    source.addEventListener("resync", () => {
      lastMessage = Date.now();
      load();
    });
    source.addEventListener("expired", () => {
      source.close();
      location.reload(); // the server now answers with its plain 404 page
    });
    source.onerror = () => {
      document.body.classList.add("lost");
      $("conn").hidden = false;
      if (source.readyState === EventSource.CLOSED) {
        load(); // a 404 (expired) reloads into the 404 page
        setTimeout(connect, 2000);
      }
    };
  }

  // A connection that went silent (no heartbeat) is dead even if the browser did not notice.
  setInterval(() => {
    if (Date.now() - lastMessage > Math.max(5000, heartbeatMs * 3)) {
      lastMessage = Date.now();
      document.body.classList.add("lost");
      $("conn").hidden = false;
      connect();
    }
  }, 1000);

  function toggleLang() {
    lang = lang === "zh" ? "en" : "zh";
    setLang(lang);
    render();
  }

  $("lang").addEventListener("click", toggleLang);
  $("send").addEventListener("click", send);
  render();
  connect();
})();
