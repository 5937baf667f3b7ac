/*
 * The office's statistics page.  GET /v1/stats gives the table (per unit,
 * per month); this draws the figures, the two charts (SVG made here: the
 * page loads nothing from elsewhere and its CSP forbids inline script and
 * style) and the tables.  The downloads ask /v1/stats.xlsx and
 * /v1/stats.csv with the same query and the reading token, and hand the
 * file to the browser.  A reading token comes as /stats.html#token=...
 * or from the board opened before it in this tab (sessionStorage).
 */
"use strict";

(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const UNITS_MAX = 30;              // bars in the units chart
  const $ = (id) => document.getElementById(id);

  // The series the charts draw: a count, its rate, its class, its name.
  const SERIES = [
    { count: "on_time", rate: "on_time_rate", cls: "on-time", name: "按时" },
    { count: "late", rate: "late_rate", cls: "late", name: "迟报" },
    { count: "missed", rate: "missed_rate", cls: "missed", name: "漏报" },
    { count: "overdue", rate: "overdue_rate", cls: "overdue", name: "超时未报" },
  ];

  // The table's columns: a count or a rate, and its heading.
  const COLUMNS = [
    ["due", "应报"], ["on_time", "按时"], ["late", "迟报"], ["missed", "漏报"],
    ["overdue", "超时未报"], ["on_time_rate", "按时率"], ["late_rate", "迟报率"],
    ["missed_rate", "漏报率"], ["incidents", "事件数"], ["concealed", "疑似瞒报"],
    ["concealed_rate", "疑似瞒报率"],
  ];

  // The reading token: token.js.
  const takeReadToken = () => window.tocsin.token.take();
  const readToken = () => window.tocsin.token.read();

  function get(path) {
    const headers = {};
    const token = readToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    return fetch(path, { cache: "no-store", headers });
  }

  function message(text) {
    $("message").textContent = text;
    $("message").hidden = !text;
  }

  async function failure(r) {
    if (r.status === 401) return "需要读取令牌：请用管理员提供的带令牌地址（…/stats.html#token=…）打开。";
    if (r.status === 403) return "此令牌无权查看所选单位的统计。";
    try {
      const body = await r.json();
      if (body.error && body.error.message) return `查询有误：${body.error.message}`;
    } catch (err) {
      // Not JSON: say the status.
    }
    return `服务器返回 ${r.status}`;
  }

  // The query of the form, for /v1/stats and its files.
  function query() {
    const q = new URLSearchParams();
    if ($("from").value) q.set("from", $("from").value);
    if ($("to").value) q.set("to", $("to").value);
    if ($("unit").value) {
      q.set("unit", $("unit").value);
      q.set("subtree", "1");
    }
    if ($("conceal").value) q.set("conceal_h", $("conceal").value);
    return q.toString();
  }

  const pct = (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(1)}%`);

  function cell(tr, text, cls, tag) {
    const td = document.createElement(tag || "td");
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
  }

  function countCells(tr, c) {
    for (const [key] of COLUMNS) {
      const rate = key.endsWith("_rate");
      const bad = (key === "missed" || key === "overdue" || key === "concealed") && c[key] > 0;
      cell(tr, rate ? pct(c[key]) : String(c[key]), bad ? "n bad" : "n");
    }
  }

  function table(id, first, rows) {
    const t = $(id);
    t.replaceChildren();
    const head = document.createElement("tr");
    for (const f of first) cell(head, f, null, "th");
    for (const [, title] of COLUMNS) cell(head, title, null, "th");
    const thead = document.createElement("thead");
    thead.appendChild(head);
    const tbody = document.createElement("tbody");
    for (const r of rows) {
      const tr = document.createElement("tr");
      if (r.sum) tr.className = "sum";
      for (const f of r.cells) cell(tr, f);
      countCells(tr, r.counts);
      tbody.appendChild(tr);
    }
    t.append(thead, tbody);
  }

  function el(name, attrs, text) {
    const e = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function legend(svg, x, y, series) {
    series.forEach((s, i) => {
      svg.appendChild(el("rect", { x: x + i * 90, y: y - 9, width: 10, height: 10, class: `s-${s.cls}` }));
      svg.appendChild(el("text", { x: x + i * 90 + 14, y }, s.name));
    });
  }

  // The rates month by month: a line per series over 0..100%.
  function trendChart(stats) {
    const W = 640, H = 280, L = 44, R = 32, T = 28, B = 36;
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "月度趋势" });
    const n = stats.months.length;
    const x = (i) => L + (n > 1 ? (i * (W - L - R)) / (n - 1) : (W - L - R) / 2);
    const y = (v) => T + (1 - v) * (H - T - B);
    for (let p = 0; p <= 100; p += 25) {
      svg.appendChild(el("line", { x1: L, x2: W - R, y1: y(p / 100), y2: y(p / 100), class: p ? "grid" : "axis" }));
      svg.appendChild(el("text", { x: L - 6, y: y(p / 100) + 4, "text-anchor": "end", class: "muted" }, `${p}%`));
    }
    stats.months.forEach((m, i) => {
      svg.appendChild(el("text", { x: x(i), y: H - B + 16, "text-anchor": "middle" }, m));
    });
    for (const s of SERIES.slice(0, 3)) {
      const pts = [];
      stats.by_month.forEach((c, i) => {
        if (c[s.rate] === null) return;
        pts.push(`${x(i).toFixed(1)},${y(c[s.rate]).toFixed(1)}`);
        const dot = el("circle", { cx: x(i), cy: y(c[s.rate]), r: 3.5, class: `s-${s.cls}` });
        dot.appendChild(el("title", {}, `${stats.months[i]} ${s.name} ${pct(c[s.rate])}`));
        svg.appendChild(dot);
      });
      if (pts.length > 1) svg.appendChild(el("polyline", { points: pts.join(" "), class: `s-${s.cls}` }));
    }
    legend(svg, L, 16, SERIES.slice(0, 3));
    if (!stats.by_month.some((c) => c.due > 0)) {
      svg.appendChild(el("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "muted" }, "所选期间没有应报事项"));
    }
    $("chart-trend").replaceChildren(svg);
  }

  // Each unit's owed reports as one bar: on time, late, missed, overdue.
  function unitsChart(stats) {
    const units = stats.units.filter((u) => u.total.due > 0)
      .sort((a, b) => b.total.due - a.total.due).slice(0, UNITS_MAX);
    const W = 640, L = 150, R = 40, T = 28, ROW = 22;
    const H = T + Math.max(units.length, 1) * ROW + 10;
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "各单位报告情况" });
    const max = Math.max(1, ...units.map((u) => u.total.due));
    const scale = (W - L - R) / max;
    units.forEach((u, i) => {
      const y = T + i * ROW;
      const name = u.name || u.unit || "（未指明单位）";
      svg.appendChild(el("text", { x: L - 6, y: y + 14, "text-anchor": "end" }, name.length > 12 ? `${name.slice(0, 11)}…` : name));
      let x = L;
      for (const s of SERIES) {
        const w = u.total[s.count] * scale;
        if (w <= 0) continue;
        const r = el("rect", { x: x.toFixed(1), y: y + 3, width: w.toFixed(1), height: ROW - 6, class: `s-${s.cls}` });
        r.appendChild(el("title", {}, `${name} ${s.name} ${u.total[s.count]}`));
        svg.appendChild(r);
        x += w;
      }
      svg.appendChild(el("text", { x: x + 4, y: y + 14, class: "muted" }, String(u.total.due)));
    });
    legend(svg, L, 16, SERIES);
    if (!units.length) {
      svg.appendChild(el("text", { x: W / 2, y: T + 14, "text-anchor": "middle", class: "muted" }, "所选期间没有应报事项"));
    }
    $("chart-units").replaceChildren(svg);
  }

  function kpis(total) {
    const items = [
      ["", total.due, "应报"],
      ["on-time", pct(total.on_time_rate), `按时率（${total.on_time}）`],
      ["late", pct(total.late_rate), `迟报率（${total.late}）`],
      ["missed", pct(total.missed_rate), `漏报率（${total.missed}）`],
      ["overdue", total.overdue, "超时未报"],
      ["concealed", total.concealed, `疑似瞒报（事件 ${total.incidents}）`],
    ];
    const ul = $("kpis");
    ul.replaceChildren();
    for (const [cls, n, label] of items) {
      const li = document.createElement("li");
      if (cls) li.className = cls;
      const span = document.createElement("span");
      span.className = "n";
      span.textContent = String(n);
      li.append(span, label);
      ul.appendChild(li);
    }
  }

  function render(stats) {
    $("from").value = stats.from;
    $("to").value = stats.to;
    const sel = $("unit");
    const scope = sel.value ? sel.options[sel.selectedIndex].textContent : "全部单位";
    $("title").textContent = `突发事件信息报送情况通报（${stats.from === stats.to ? stats.from : `${stats.from} 至 ${stats.to}`}）`;
    $("period").textContent = `统计范围：${scope}；疑似瞒报指事发 ${stats.conceal_h} 小时后才首报的事件。`;
    kpis(stats.total);
    trendChart(stats);
    unitsChart(stats);
    const unitRows = stats.units.map((u) => ({ cells: [u.name || u.unit || "（未指明单位）"], counts: u.total }));
    unitRows.push({ cells: ["合计"], counts: stats.total, sum: true });
    table("units-table", ["单位"], unitRows);
    const monthRows = stats.months.map((m, i) => ({ cells: [m], counts: stats.by_month[i] }));
    monthRows.push({ cells: ["合计"], counts: stats.total, sum: true });
    table("months-table", ["月份"], monthRows);
    $("report").hidden = false;
  }

  async function load() {
    message("");
    try {
      const r = await get(`/v1/stats?${query()}`);
      if (!r.ok) {
        message(await failure(r));
        return;
      }
      render(await r.json());
      history.replaceState(null, "", `${location.pathname}?${query()}`);
    } catch (err) {
      message("无法连接服务器，请稍后重试。");
    }
  }

  async function units() {
    try {
      const r = await get("/v1/units");
      if (!r.ok) return;
      const body = await r.json();
      const sel = $("unit");
      for (const u of body.units) {
        const o = document.createElement("option");
        o.value = u.id;
        o.textContent = u.name || u.id;
        sel.appendChild(o);
      }
    } catch (err) {
      // The list is a convenience: the statistics come without it.
    }
  }

  // A file from the daemon, with the token, handed to the browser to save.
  async function download(ext) {
    message("");
    try {
      const r = await get(`/v1/stats.${ext}?${query()}`);
      if (!r.ok) {
        message(await failure(r));
        return;
      }
      const cd = r.headers.get("Content-Disposition") || "";
      const m = /filename="([^"]+)"/.exec(cd);
      const a = document.createElement("a");
      a.href = URL.createObjectURL(await r.blob());
      a.download = m ? m[1] : `tocsin-stats.${ext}`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 60000);
    } catch (err) {
      message("下载失败：无法连接服务器。");
    }
  }

  function start() {
    takeReadToken();
    const q = new URLSearchParams(location.search);
    if (q.get("from")) $("from").value = q.get("from");
    if (q.get("to")) $("to").value = q.get("to");
    if (q.get("conceal_h")) $("conceal").value = q.get("conceal_h");
    $("query").addEventListener("submit", (e) => {
      e.preventDefault();
      load();
    });
    $("dl-xlsx").addEventListener("click", () => download("xlsx"));
    $("dl-csv").addEventListener("click", () => download("csv"));
    $("print").addEventListener("click", () => window.print());
    units().then(() => {
      if (q.get("unit")) $("unit").value = q.get("unit");
      load();
    });
  }

  start();
}());
