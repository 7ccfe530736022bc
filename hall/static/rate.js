// Window evaluator (/rate/): idle screen, then the five levels when the counter completes
// a ticket (pushed: the board stream filtered to this counter). Device token from the
// address fragment #token=… once, then kept in local storage. textContent only.
"use strict";

(function () {
  const { $, el, levelButtons, reasonButtons, setLang } = window.citizen;
  const STORE = "hall.evaluator.token";
  const match = /(?:^#|&)token=([A-Za-z0-9_-]{10,200})/.exec(location.hash);
  if (match) {
    localStorage.setItem(STORE, match[1]);
    history.replaceState(null, "", location.pathname + location.search);
  }
  const token = localStorage.getItem(STORE);
  let lang = "zh";
  let state = null;
  let level = null;
  let chosen = new Set();
  let source = null;
  let lastMessage = Date.now();
  let doneTimer = null;
  window.rateLog = [];

  const T = {
    zh: { thanks: "感谢您的评价！", none: "—", no: (s) => "工号 " + s },
    en: { thanks: "Thank you for your rating!", none: "—", no: (s) => "No. " + s },
  };

  function headers() {
    return { Authorization: "Bearer " + token, "Content-Type": "application/json" };
  }

  function show(which) {
    ["idle", "rate", "done"].forEach((id) => {
      $(id).hidden = id !== which;
    });
    document.body.dataset.screen = which;
  }

  function applyLang() {
    setLang(lang);
    render();
  }

  function render() {
    if (!state) return;
    $("counter").textContent = state.counter;
    const staff = state.staff;
    $("staff").textContent = staff
      ? staff.name + (staff.staff_number ? "（" + T[lang].no(staff.staff_number) + "）" : "")
      : T[lang].none;
    $("commitments").replaceChildren(...state.commitments.map((c) => el("li", "", c)));
    $("levels").replaceChildren(...levelButtons(state.levels, lang, level, chooseLevel));
    $("reasons").replaceChildren(...reasonButtons(state.reasons, chosen, render));
    if (state.pending) $("rate-number").textContent = state.pending.ticket_number;
  }

  async function loadState() {
    const resp = await fetch("/api/v1/evaluator/state", { headers: headers(), cache: "no-store" });
    if (resp.status === 401) {
      $("setup").hidden = false;
      $("setup").textContent = (await resp.json()).detail;
      return;
    }
    if (!resp.ok) throw new Error("state " + resp.status);
    state = await resp.json();
    const wasRating = document.body.dataset.screen === "rate";
    if (state.pending) {
      if (!wasRating || $("rate-number").textContent !== state.pending.ticket_number) {
        level = null;
        chosen = new Set();
        $("reasons-box").hidden = true;
      }
      show("rate");
    } else if (document.body.dataset.screen !== "done") {
      show("idle");
    }
    render();
    if (!source) connect();
  }

  function chooseLevel(lv) {
    level = lv;
    if (state.bad_levels.includes(lv)) {
      $("reasons-box").hidden = false; // a bad review asks for reasons, like the kiosk
      render();
    } else {
      send();
    }
  }

  async function send() {
    if (!state || !state.pending || !level) return;
    const body = {
      ticket_number: state.pending.ticket_number,
      idempotency_key: "window-" + state.pending.ticket_number + "-" + state.pending.completed_at,
      level,
      reasons: [...chosen],
    };
    const resp = await fetch("/api/v1/evaluator/ratings", {
      method: "POST", headers: headers(), body: JSON.stringify(body),
    });
    const data = await resp.json();
    window.rateLog.push({ status: resp.status, data });
    if (resp.status === 201 || resp.status === 200) {
      $("done-text").textContent = T[lang].thanks;
    } else {
      $("done-text").textContent = data.detail && data.detail.length ? String(data.detail) : "!";
      if (resp.status === 422) return; // e.g. reasons required: stay on the screen
    }
    show("done");
    clearTimeout(doneTimer);
    doneTimer = setTimeout(() => {
      show("idle");
      loadState().catch(() => {});
    }, 5000);
  }
  $("send").addEventListener("click", send);

  function connect() {
    if (source) source.close();
    source = new EventSource("/api/v1/board/events?counter=" + encodeURIComponent(state.counter));
    lastMessage = Date.now();
    const refresh = () => {
      lastMessage = Date.now();
      loadState().catch(() => {});
    };
    source.addEventListener("hello", () => {
      $("conn").hidden = true;
      refresh();
    });
    source.addEventListener("heartbeat", () => {
      lastMessage = Date.now();
    });
    ["complete", "call", "rating", "resync"].forEach((k) => source.addEventListener(k, refresh));
    source.onerror = () => {
      $("conn").hidden = false;
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 1000);
    };
  }

  setInterval(() => {
    if (source && Date.now() - lastMessage > 4500) {
      $("conn").hidden = false;
      connect();
    }
  }, 500);

  $("lang").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    applyLang();
  });

  applyLang();
  if (!token) {
    $("setup").hidden = false;
    show("idle");
  } else {
    loadState().catch(() => {
      $("conn").hidden = false;
    });
  }
})();
