// Wall dashboard (/dashboard/): refreshes from /dashboard/data.json every data-poll-ms and
// draws two charts with the locally served Apache ECharts. Values go in with textContent.
"use strict";

(function () {
  const pollMs = Number(document.body.dataset.pollMs) || 5000;
  const $ = (id) => document.getElementById(id);
  let english = false;
  let last = null;
  let charts = null;

  function pick(zh, en) {
    return english && en ? en : zh;
  }

  function pct(rate) {
    return rate === null || rate === undefined ? "—" : (rate * 100).toFixed(1) + "%";
  }

  function num(value) {
    return value === null || value === undefined ? "—" : String(value);
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function applyLanguage() {
    for (const node of document.querySelectorAll("[data-en]")) {
      if (node.dataset.zh === undefined) node.dataset.zh = node.textContent;
      node.textContent = english ? node.dataset.en : node.dataset.zh;
    }
    $("lang").textContent = english ? "中文" : "English";
    $("lang").setAttribute("aria-pressed", english ? "true" : "false");
    document.documentElement.lang = english ? "en" : "zh-CN";
    if (last) render(last);
  }

  function initCharts() {
    if (charts || typeof window.echarts === "undefined") return charts;
    charts = {
      waiting: window.echarts.init($("chart-waiting"), null, { renderer: "canvas" }),
      hourly: window.echarts.init($("chart-hourly"), null, { renderer: "canvas" }),
    };
    return charts;
  }

  const big = { fontSize: 22 };

  function drawCharts(d) {
    if (!initCharts()) return;
    const names = d.waiting.map((g) => g.prefix + " " + pick(g.name, g.name_en));
    charts.waiting.setOption({
      backgroundColor: "transparent",
      textStyle: { color: "#f5f7fa" },
      animation: false,
      grid: { left: 20, right: 220, top: 10, bottom: 10, containLabel: true },
      yAxis: {
        type: "category",
        inverse: true,
        data: names,
        axisLabel: { fontSize: 24, color: "#f5f7fa" },
      },
      xAxis: { type: "value", minInterval: 1, axisLabel: big },
      series: [
        {
          type: "bar",
          data: d.waiting.map((g) => g.waiting),
          label: {
            show: true,
            position: "right",
            fontSize: 24,
            color: "#fff",
            formatter: function (p) {
              const g = d.waiting[p.dataIndex];
              const longest = g.waiting ? pick(" · 最长", " · ") + g.longest_wait_min + pick("分", " min") : "";
              return g.waiting + pick(" 人", "") + longest;
            },
          },
          itemStyle: { color: "#4fc3f7" },
        },
      ],
    }, true);
    charts.hourly.setOption({
      backgroundColor: "transparent",
      textStyle: { color: "#f5f7fa" },
      animation: false,
      legend: { top: 0, textStyle: { fontSize: 22, color: "#f5f7fa" }, data: [pick("今日", "Today"), pick("昨日", "Yesterday")] },
      grid: { left: 60, right: 20, top: 50, bottom: 40 },
      xAxis: { type: "category", data: d.hours.map((h) => h + ":00"), axisLabel: big },
      yAxis: { type: "value", minInterval: 1, axisLabel: big },
      series: [
        {
          name: pick("今日", "Today"),
          type: "bar",
          data: d.hourly_today,
          itemStyle: { color: "#81c784" },
        },
        {
          name: pick("昨日", "Yesterday"),
          type: "line",
          data: d.hourly_yesterday,
          lineStyle: { width: 4, color: "#ffb74d" },
          itemStyle: { color: "#ffb74d" },
        },
      ],
    }, true);
  }

  function render(d) {
    last = d;
    $("generated").textContent = d.generated_text;
    $("issued").textContent = num(d.today.issued);
    $("issued-yesterday").textContent = num(d.yesterday.issued);
    $("served").textContent = num(d.today.served);
    $("served-yesterday").textContent = num(d.yesterday.served);
    $("wait").textContent = num(d.today.wait_avg_min);
    $("wait-yesterday").textContent = num(d.yesterday.wait_avg_min);
    $("satisfaction").textContent = pct(d.today.satisfaction_rate);
    $("satisfaction-yesterday").textContent = pct(d.yesterday.satisfaction_rate);
    $("precheck").textContent = pct(d.today.precheck_rate);
    $("precheck-yesterday").textContent = pct(d.yesterday.precheck_rate);
    $("waiting-total").textContent = num(d.waiting_total);
    $("waiting-rows").replaceChildren(
      ...d.waiting.map(function (g) {
        const tr = el("tr");
        tr.dataset.group = g.group_id;
        tr.append(el("th", null, g.prefix + " " + pick(g.name, g.name_en)));
        tr.append(el("td", "n", String(g.waiting)));
        tr.append(el("td", null, pick("最长等待 ", "longest ") + g.longest_wait_min + pick(" 分钟", " min")));
        return tr;
      }),
    );
    $("cases-open").textContent = num(d.cases.open);
    $("cases-overdue").textContent = num(d.cases.overdue);
    $("followups-open").textContent = num(d.followups.open);
    $("followups-overdue").textContent = num(d.followups.overdue);
    $("kiosks-ok").textContent = num(d.kiosks.ok);
    $("kiosks-problem").textContent = num(d.kiosks.problem);
    $("kiosks-lost").textContent = num(d.kiosks.lost);
    $("kiosk-problems").replaceChildren(
      ...d.kiosks.problems.map((p) => el("li", null, p.kiosk_id + "：" + pick(p.text, p.text_en))),
    );
    $("alerts").replaceChildren(...d.alerts.map((a) => el("li", null, "⚠ " + pick(a.text, a.text_en))));
    $("alerts").hidden = d.alerts.length === 0;
    drawCharts(d);
    document.body.dataset.loaded = d.generated_at;
  }

  let timer = null;
  let inFlight = false;

  function schedule(delay) {
    if (timer !== null) window.clearTimeout(timer);
    timer = window.setTimeout(refresh, delay);
  }

  async function refresh() {
    timer = null;
    if (inFlight) {
      schedule(300);
      return;
    }
    inFlight = true;
    try {
      const resp = await fetch("/dashboard/data.json", { cache: "no-store" });
      if (!resp.ok) throw new Error("HTTP " + resp.status);
      render(await resp.json());
      $("conn-error").hidden = true;
    } catch (err) {
      $("conn-error").hidden = false;
    } finally {
      inFlight = false;
    }
    if (timer === null) schedule(pollMs); // the poll: cases, ratings, kiosks, and a fallback
  }

  // Live: the call boards' push stream (hall/board.py). Every queue event redraws within
  // half a second; the poll above still runs for what the stream does not carry.
  const KINDS = ["issue", "call", "recall", "no_show", "complete", "transfer", "hold",
    "resume", "pause", "open", "rating", "resync"];
  function listen() {
    if (typeof window.EventSource === "undefined") return;
    const source = new EventSource("/api/v1/board/events");
    source.addEventListener("hello", function () {
      document.body.dataset.live = "1";
      schedule(100);
    });
    for (const kind of KINDS) source.addEventListener(kind, () => schedule(400));
    source.onerror = function () {
      document.body.dataset.live = "0"; // EventSource reconnects by itself
    };
  }

  $("lang").addEventListener("click", function () {
    english = !english;
    applyLanguage();
  });
  window.addEventListener("resize", function () {
    if (charts) {
      charts.waiting.resize();
      charts.hourly.resize();
    }
  });
  refresh();
  listen();
})();
