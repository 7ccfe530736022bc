// Counter workstation: buttons and keyboard shortcuts for the queue, refreshed from
// /counter/state.json. Plain script, no build step; values go into the page with
// textContent only. English on one tap: every static label carries data-en.
//
// Refresh seam: refresh() redraws from the full state. It is polled every data-poll-ms
// for now; the push stream (GET /api/v1/board/events) should simply call refresh() on
// each event (and keep a slow poll as a fallback).
"use strict";

(function () {
  const body = document.body;
  const pollMs = Number(body.dataset.pollMs) || 2000;
  const csrf = body.dataset.csrf || "";
  const $ = (id) => document.getElementById(id);
  let english = false;
  let state = null;
  let busy = false;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function pick(zh, en) {
    return english && en ? en : zh;
  }

  // -- language ------------------------------------------------------------------------------
  function applyLanguage() {
    for (const node of document.querySelectorAll("[data-en]")) {
      if (node.dataset.zh === undefined) node.dataset.zh = node.textContent;
      node.textContent = english ? node.dataset.en : node.dataset.zh;
    }
    $("lang").textContent = english ? "中文" : "English";
    $("lang").setAttribute("aria-pressed", english ? "true" : "false");
    document.documentElement.lang = english ? "en" : "zh-CN";
    if (state) render(state);
  }

  // -- drawing -------------------------------------------------------------------------------
  function render(s) {
    state = s;
    const alerts = s.alerts || [];
    $("sla-alerts").replaceChildren(
      ...alerts.map((a) => el("li", null, "⚠ " + pick(a.text, a.text_en))),
    );
    $("sla-alerts").hidden = alerts.length === 0;
    $("paused-banner").hidden = !s.paused;
    $("btn-pause").hidden = s.paused;
    $("btn-open").hidden = !s.paused;
    $("btn-call-next").disabled = s.paused;
    $("btn-call").disabled = s.paused;
    const c = s.current;
    $("no-current").hidden = !!c;
    $("cur").hidden = !c;
    for (const a of ["recall", "no-show", "complete", "return", "transfer", "hold"]) {
      $("btn-" + a).disabled = !c;
    }
    if (c) {
      $("cur-number").textContent = c.number;
      $("cur-green").hidden = !c.green;
      $("cur-transferred").hidden = !c.transferred;
      $("cur-item").textContent = pick(c.service_name, c.service_name_en);
      $("cur-name").textContent = c.masked_name;
      $("cur-served").textContent = pick(c.served_text, c.served_text_en);
      $("cur-recalls").textContent = c.recall_count;
      $("cur-precheck").textContent = pick(c.precheck_text, c.precheck_text_en);
      const rows = $("cur-materials");
      rows.replaceChildren();
      for (const m of c.materials) {
        const tr = el("tr");
        tr.append(el("td", null, pick(m.name, m.name_en)));
        tr.append(el("td", null, m.core ? pick("核心", "core") : pick("可容缺", "may follow")));
        tr.append(el("td", m.bad ? "bad" : null, pick(m.check, m.check_en) || "—"));
        rows.append(tr);
      }
    }
    const held = $("held");
    held.replaceChildren();
    for (const h of s.held) {
      const li = el("li");
      li.dataset.ticketId = h.id;
      li.append(el("strong", null, h.number), " " + pick(h.service_name, h.service_name_en) + " ");
      const b = el("button", "resume", pick("恢复", "Resume"));
      b.type = "button";
      b.addEventListener("click", () => act("resume", { ticket_id: h.id }));
      li.append(b);
      held.append(li);
    }
    $("no-held").hidden = s.held.length > 0;
    const waiting = $("waiting");
    waiting.replaceChildren();
    for (const w of s.waiting) {
      const tr = el("tr", w.green ? "green-row" : null);
      tr.dataset.ticketId = w.id;
      tr.dataset.number = w.number;
      const th = el("th", null, w.number);
      th.scope = "row";
      tr.append(th);
      tr.append(el("td", null, pick(w.service_name, w.service_name_en)));
      tr.append(el("td", null, pick(w.wait_text, w.wait_text_en)));
      const td = el("td");
      const b = el("button", "call-this", pick("叫此号", "Call"));
      b.type = "button";
      b.disabled = s.paused;
      b.addEventListener("click", () => act("call", { ticket_id: w.id }));
      td.append(b);
      tr.append(td);
      waiting.append(tr);
    }
    $("waiting-count").textContent = s.waiting.length;
    for (const k of Object.keys(s.today)) {
      const n = $("today-" + k);
      if (n) n.textContent = s.today[k];
    }
    $("generated").textContent = s.generated_text;
  }

  function say(text, error) {
    const m = $("message");
    const [zh, en] = String(text).split("|");
    m.textContent = pick(zh, en);
    m.classList.toggle("error", !!error);
  }

  // -- server --------------------------------------------------------------------------------
  async function refresh() {
    try {
      const r = await fetch("/counter/state.json", { credentials: "same-origin", cache: "no-store" });
      if (r.status === 401) { window.location.assign("/counter/login"); return; }
      if (!r.ok) throw new Error("HTTP " + r.status);
      render(await r.json());
      $("conn-error").hidden = true;
    } catch (e) {
      $("conn-error").hidden = false;
    }
  }
  window.counterRefresh = refresh;

  async function act(action, payload) {
    if (busy) return;
    busy = true;
    try {
      const r = await fetch("/counter/api/" + action, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(payload || {}),
      });
      const data = await r.json().catch(() => ({}));
      if (r.status === 401) { window.location.assign("/counter/login"); return; }
      if (!r.ok) {
        const d = data.detail;
        say(Array.isArray(d) ? d.join("; ") : d || "HTTP " + r.status, true);
        return;
      }
      say(data.message, false);
      render(data.state);
      $("conn-error").hidden = true;
    } catch (e) {
      $("conn-error").hidden = false;
    } finally {
      busy = false;
    }
  }

  // -- buttons and shortcuts -----------------------------------------------------------------
  function openPanel(id, focusId) {
    for (const p of ["transfer-form", "call-form", "return-form"]) $(p).hidden = p !== id;
    $(focusId).focus();
  }

  function press(action) {
    const button = $("btn-" + action);
    if (!button || button.disabled || button.hidden) return;
    if (action === "transfer") return openPanel("transfer-form", "to-group");
    if (action === "call") return openPanel("call-form", "call-number");
    if (action === "return") return openPanel("return-form", "return-reason");
    act(action, {});
  }

  for (const button of document.querySelectorAll("button.action")) {
    button.addEventListener("click", () => press(button.dataset.action));
  }
  const keys = {};
  for (const button of document.querySelectorAll("button.action[data-key]")) {
    if (button.dataset.key) keys[button.dataset.key] = button.dataset.action;
  }
  document.addEventListener("keydown", (ev) => {
    let action = keys[ev.key];
    if (!action) return;
    ev.preventDefault();
    if (action === "pause" && state && state.paused) action = "open";
    press(action);
  });

  $("transfer-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const to = document.querySelector('input[name="to"]:checked').value;
    act("transfer", {
      to: to,
      to_group: to === "group" ? $("to-group").value : null,
      to_counter: to === "counter" ? $("to-counter").value : null,
      reason: $("reason").value,
    });
    $("transfer-form").hidden = true;
  });
  $("transfer-cancel").addEventListener("click", () => { $("transfer-form").hidden = true; });
  // 退件: the reason from the fixed list, then complete with the outcome "return".
  $("return-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    act("return", { return_reason: $("return-reason").value });
    $("return-form").hidden = true;
  });
  $("return-cancel").addEventListener("click", () => { $("return-form").hidden = true; });
  $("call-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    act("call", { number: $("call-number").value });
    $("call-number").value = "";
    $("call-form").hidden = true;
  });
  $("lang").addEventListener("click", () => { english = !english; applyLanguage(); });

  refresh();
  setInterval(refresh, pollMs);
})();
