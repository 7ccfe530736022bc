// A 办不成事 case's page on the citizen's phone (/c/<case number>/<signature>): progress
// (received, taken, each step, closed) and, once closed, rating how it was handled (once).
// Polls the state; textContent only; no external resources.
"use strict";

(function () {
  const { $, LEVEL_EN, el, levelButtons, showResult, setLang } = window.citizen;
  const base = location.pathname.replace(/\/+$/, "");
  const POLL_MS = 15000;
  let lang = "zh";
  let state = null;
  let result = null; // [kind, zh, en] of the last rating answer
  let sending = false;

  const STEP = {
    zh: { received: "已受理登记", take: "工作人员已接手", respond: "已回访响应",
          coordinate: "协调办理", close: "已办结" },
    en: { received: "Received", take: "Taken by a member of staff", respond: "Responded",
          coordinate: "Coordinating", close: "Closed" },
  };
  const T = {
    zh: {
      thanks: "感谢您的评价！",
      rated: "这件反映已经评价过了，感谢您的反馈。",
      closed: "这件反映的评价期已过。",
      failed: "提交失败，请稍后再试。",
      yours: (name) => "您的评价：" + name,
    },
    en: {
      thanks: "Thank you for your rating!",
      rated: "This case has already been rated. Thank you.",
      closed: "The period for rating this case is over.",
      failed: "Could not send, please try again.",
      yours: (name) => "Your rating: " + name,
    },
  };

  function levelName(level) {
    if (!state || !level) return "";
    const found = state.rating.levels.find((lv) => lv.level === level);
    return lang === "zh" ? (found ? found.name : level) : (LEVEL_EN[level] || level);
  }

  function render() {
    if (!state) return;
    const zh = lang === "zh";
    $("number").textContent = state.case_number;
    const s = $("status");
    s.textContent = zh ? state.status_name : state.status_name_en;
    s.className = "status" + (state.status === "closed" ? " done" : "");
    document.body.dataset.status = state.status;
    $("matter").textContent = zh ? state.matter : state.matter_en;
    $("received").textContent = state.submitted_text;
    $("respond-due").textContent = state.respond_due_text;
    $("close-due").textContent = state.close_due_on;
    const steps = [{ kind: "received", at_text: state.submitted_text }].concat(state.steps);
    $("steps").replaceChildren(...steps.map((step) => {
      const li = el("li", "step step-" + step.kind);
      li.dataset.kind = step.kind;
      li.append(el("span", "what", STEP[lang][step.kind] || step.kind));
      li.append(el("span", "when", step.at_text || ""));
      return li;
    }));
    const r = state.rating;
    document.body.dataset.rating = r.state;
    $("rate").hidden = r.state !== "open" || result !== null;
    const buttons = levelButtons(r.levels, lang, null, send);
    buttons.forEach((b) => { b.disabled = sending; });
    $("levels").replaceChildren(...buttons);
    if (result !== null) {
      showResult(zh ? result[1] : result[2]);
    } else if (r.state === "rated") {
      const explained = r.channel === "kiosk"
        ? (zh ? "这件反映已经在大厅的自助终端评价过了。" : "This case was already rated at a kiosk in the hall.")
        : T[lang].rated;
      showResult(explained + " " + T[lang].yours(levelName(r.level)));
    } else if (r.state === "closed") {
      showResult(T[lang].closed);
    } else {
      $("rate-result").hidden = true;
    }
  }

  async function send(level) {
    if (sending) return;
    sending = true;
    render();
    try {
      const resp = await fetch(base + "/rating", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ level: level }),
      });
      const body = await resp.json().catch(() => ({}));
      if (resp.status === 201) {
        result = ["thanks", T.zh.thanks, T.en.thanks];
      } else if (resp.status === 409 && body.detail) {
        result = [body.code, body.detail, body.detail_en || body.detail];
      } else {
        result = ["failed", T.zh.failed, T.en.failed];
      }
    } catch (e) {
      result = ["failed", T.zh.failed, T.en.failed];
    }
    sending = false;
    const failed = result[0] === "failed";
    await load();
    if (failed) {
      showResult(lang === "zh" ? T.zh.failed : T.en.failed);
      result = null;
      $("rate").hidden = !(state && state.rating.state === "open");
    }
  }

  async function load() {
    try {
      const resp = await fetch(base + "/state", { cache: "no-store" });
      if (!resp.ok) throw new Error(String(resp.status));
      state = await resp.json();
      $("conn").hidden = true;
      document.body.classList.remove("lost");
      render();
    } catch (e) {
      $("conn").hidden = false;
      document.body.classList.add("lost");
    }
  }

  function toggleLang() {
    lang = lang === "zh" ? "en" : "zh";
    setLang(lang);
    render();
  }

  $("lang").addEventListener("click", toggleLang);
  load();
  setInterval(() => { if (!document.hidden && !sending) load(); }, POLL_MS);
})();
