// Staff work queues (/staff/work/): cases with their response clock, follow-ups, review
// tasks and the audit log, refreshed from /staff/work/data.json. textContent only.
"use strict";

(function () {
  const pollMs = Number(document.body.dataset.pollMs) || 2500;
  const $ = (id) => document.getElementById(id);
  const ROLE = { supervisor: "值班长", auditor: "审计（只读）", counter: "窗口人员" };
  const CASE_STEPS = {
    submitted: ["take"], taken: ["respond"], responded: ["coordinate", "close"],
    coordinating: ["coordinate", "close"],
  };
  const LABEL = {
    take: "接单", respond: "已联系", coordinate: "协调", close: "办结",
    verify: "核实", rectify: "整改", feedback: "反馈", recheck: "复核",
  };
  const STATUS = {
    submitted: "待接单", taken: "已接单", responded: "已响应", coordinating: "协调中",
    open: "待核实", verified: "已核实", rectified: "已整改", answered: "已反馈·待复核",
  };
  let canAct = false;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function button(kind, target, action) {
    const b = el("button", "act", LABEL[action] || "完成");
    b.type = "button";
    b.dataset.kind = kind;
    b.dataset.target = String(target);
    b.dataset.action = action;
    b.disabled = !canAct;
    return b;
  }

  function actions(kind, target, list) {
    const td = el("td");
    for (const a of list) td.append(button(kind, target, a));
    return td;
  }

  function render(d) {
    canAct = d.can_act;
    $("role").textContent = ROLE[d.role] || d.role;
    $("generated").textContent = d.generated_text;
    $("work-alerts").replaceChildren(...d.alerts.map((a) => {
      const li = el("li", "alert-" + a.kind, "⚠ " + a.text);
      li.dataset.kind = a.kind;
      return li;
    }));
    $("work-alerts").hidden = d.alerts.length === 0;
    $("cases-section").hidden = d.role === "counter";
    $("case-rows").replaceChildren(...d.cases.map((c) => {
      const tr = el("tr", c.overdue ? "state-lost" : null);
      tr.dataset.case = c.case_number;
      tr.dataset.overdue = c.overdue ? "1" : "0";
      tr.append(el("th", null, c.case_number));
      tr.append(el("td", null, STATUS[c.status] || c.status));
      tr.append(el("td", "clock", c.clock_text + "（" + c.respond_due_text + " 前）"));
      const matter = el("td", "case-matter", c.matter);
      matter.title = c.matter_en;
      tr.append(matter);
      const severity = el("td", "case-severity severity-" + c.severity, c.severity_name);
      severity.title = c.severity_name_en;
      tr.append(severity);
      tr.append(el("td", null, c.categories.join("、")));
      tr.append(el("td", null, c.description));
      tr.append(el("td", null, c.owner || "—"));
      tr.append(actions("cases", c.case_number, CASE_STEPS[c.status] || []));
      return tr;
    }));
    $("no-cases").hidden = d.cases.length > 0 || d.role === "counter";
    $("followup-rows").replaceChildren(...d.followups.map((f) => {
      const tr = el("tr", f.overdue ? "state-lost" : null);
      tr.dataset.followup = String(f.id);
      tr.dataset.overdue = f.overdue ? "1" : "0";
      tr.append(el("th", null, (f.ticket_number || "#" + f.id) + (f.overdue ? " ⚠ 超时" : "")));
      tr.append(el("td", null, f.counter || "—"));
      tr.append(el("td", null, STATUS[f.status] || f.status));
      tr.append(el("td", null, f.plan_due_on));
      tr.append(el("td", null, f.recheck_due_on ? f.recheck_due_on + "（复核）" : f.rectify_due_on));
      tr.append(actions("followups", f.id, f.next_step ? [f.next_step] : []));
      return tr;
    }));
    $("no-followups").hidden = d.followups.length > 0;
    $("review-rows").replaceChildren(...d.reviews.map((r) => {
      const tr = el("tr");
      tr.dataset.review = String(r.id);
      tr.append(el("th", null, r.counter + " 号窗口"));
      tr.append(el("td", null, r.period));
      tr.append(el("td", null, r.score + " / " + r.previous_score));
      tr.append(actions("reviews", r.id, ["close"]));
      return tr;
    }));
    $("no-reviews").hidden = d.reviews.length > 0;
    $("audit-section").hidden = d.role === "counter";
    $("audit-rows").replaceChildren(...d.audit.map((a) => {
      const tr = el("tr");
      tr.append(el("td", null, a.at_text));
      tr.append(el("td", null, a.staff));
      tr.append(el("td", null, a.action + (a.detail ? "（" + a.detail + "）" : "")));
      tr.append(el("td", null, a.target || "—"));
      return tr;
    }));
  }

  async function refresh() {
    try {
      const resp = await fetch("/staff/work/data.json", { cache: "no-store" });
      if (resp.status === 401) {
        window.location.href = "/staff/login";
        return;
      }
      render(await resp.json());
    } catch (err) {
      $("message").textContent = "与服务器的连接中断，正在重试…";
    }
    window.setTimeout(refresh, pollMs);
  }

  document.addEventListener("click", async function (event) {
    const b = event.target.closest("button.act");
    if (!b) return;
    let note = null;
    if (b.dataset.action !== "take") {
      note = window.prompt("请填写处理说明（必填）", "");
      if (note === null) return;
    }
    b.disabled = true;
    const resp = await fetch(
      "/staff/work/" + b.dataset.kind + "/" + encodeURIComponent(b.dataset.target) + "/" + b.dataset.action,
      {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Staff-Page": "1" },
        body: JSON.stringify(note === null ? {} : { note: note }),
      },
    );
    const data = await resp.json().catch(() => ({}));
    $("message").textContent = resp.ok ? "已记录" : "未能完成：" + (data.detail || resp.status);
  });

  refresh();
})();
