// Staff page: refresh the kiosk table and the help requests from /staff/kiosks.json.
// Plain script, no build step. Every value goes into the page with textContent, never
// innerHTML, so a kiosk id or alert code cannot inject markup.
"use strict";

(function () {
  const pollMs = Number(document.body.dataset.pollMs) || 2500;
  const kioskRows = document.getElementById("kiosk-rows");
  const helpRows = document.getElementById("help-rows");
  const summary = document.getElementById("summary");
  const generated = document.getElementById("generated");
  const connError = document.getElementById("conn-error");
  const noKiosks = document.getElementById("no-kiosks");
  const noHelp = document.getElementById("no-help");
  const helpTable = document.getElementById("help");

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function icon(symbol) {
    const span = el("span", "icon", symbol);
    span.setAttribute("aria-hidden", "true");
    return span;
  }

  function kioskRow(k) {
    const tr = el("tr", "state-" + k.state);
    tr.dataset.kioskId = k.id;
    tr.dataset.state = k.state;

    const stateCell = el("td", "state");
    const badge = el("span", "badge");
    badge.append(icon(k.state_icon), " " + k.state_text);
    stateCell.append(badge);
    tr.append(stateCell);

    const idCell = el("th", "kiosk-id", k.id);
    idCell.scope = "row";
    tr.append(idCell);
    tr.append(el("td", "last-seen", k.last_seen_text));

    for (const d of k.devices) {
      const td = el("td", d.bad ? "dev dev-bad" : "dev");
      td.dataset.device = d.device;
      if (d.bad) td.append(icon("⚠"), " ");
      td.append(d.text);
      tr.append(td);
    }
    tr.append(el("td", "backlog", k.backlog_text));
    tr.append(el("td", "version", k.version_text));
    tr.append(el("td", "catalog", k.catalog_text));

    if (k.problems.length) {
      const td = el("td", "problems");
      const ul = el("ul");
      for (const p of k.problems) ul.append(el("li", null, p));
      td.append(ul);
      tr.append(td);
    } else {
      tr.append(el("td", "problems none", "无"));
    }
    return tr;
  }

  function helpRow(h) {
    const tr = el("tr");
    tr.dataset.helpId = String(h.id);
    tr.append(el("td", null, h.time_text));
    const kiosk = el("th", null, h.kiosk_id);
    kiosk.scope = "row";
    tr.append(kiosk, el("td", null, h.screen), el("td", null, h.elder_text));
    const td = el("td");
    const button = el("button", "close-help", "已处理");
    button.type = "button";
    button.dataset.helpId = String(h.id);
    td.append(button);
    tr.append(td);
    return tr;
  }

  function render(data) {
    const alerts = document.getElementById("sla-alerts");
    alerts.replaceChildren(
      ...(data.sla_alerts || []).map(function (a) {
        const li = el("li", null, " " + a.text);
        li.dataset.group = a.group_id;
        li.prepend(icon("⚠"));
        return li;
      }),
    );
    alerts.hidden = !(data.sla_alerts || []).length;
    kioskRows.replaceChildren(...data.kiosks.map(kioskRow));
    helpRows.replaceChildren(...data.help_requests.map(helpRow));
    noKiosks.hidden = data.kiosks.length > 0;
    noHelp.hidden = data.help_requests.length > 0;
    helpTable.hidden = data.help_requests.length === 0;
    if (summary.textContent !== data.summary) summary.textContent = data.summary;
    summary.classList.toggle("alarm", data.alarm);
    generated.textContent = data.generated_text;
    document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes || 0) + 1);
  }

  let timer = null;

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(refresh, delay);
  }

  async function refresh() {
    try {
      const resp = await fetch("/staff/kiosks.json", {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json" },
      });
      if (resp.status === 401) {
        window.location.assign("/staff/login");
        return;
      }
      if (!resp.ok) throw new Error("HTTP " + resp.status);
      render(await resp.json());
      connError.hidden = true;
    } catch (err) {
      connError.hidden = false;
    }
    schedule(pollMs);
  }

  helpRows.addEventListener("click", async function (event) {
    const button = event.target.closest("button.close-help");
    if (!button) return;
    button.disabled = true;
    try {
      const resp = await fetch(
        "/staff/help-requests/" + encodeURIComponent(button.dataset.helpId) + "/close",
        { method: "POST", credentials: "same-origin", headers: { "X-Staff-Page": "1" } },
      );
      if (resp.status === 401) {
        window.location.assign("/staff/login");
        return;
      }
    } catch (err) {
      connError.hidden = false;
    }
    schedule(0);
  });

  schedule(pollMs);
})();
