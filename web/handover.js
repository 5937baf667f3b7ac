/*
 * The handover page: reads GET /v1/handover with the page's own query
 * (at=, roster=) and the board's reading token (a person's sign-in, or
 * #token=), and fills in the tables.  Every text goes in as textContent.
 */
"use strict";

(function () {
  const GRADES = { 1: "特别重大（I级）", 2: "重大（II级）", 3: "较大（III级）", 4: "一般（IV级）" };
  const STATUS = { pending: "待报", breached: "超时未报", missed: "漏报" };
  const $ = (id) => document.getElementById(id);

  function token() {
    const m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
    if (m) {
      try {
        sessionStorage.setItem("tocsin.read-token", decodeURIComponent(m[1]));
      } catch (err) {
        // no storage: this load only
      }
      history.replaceState(null, "", location.pathname + location.search);
      return decodeURIComponent(m[1]);
    }
    try {
      const who = JSON.parse(localStorage.getItem("tocsin.signin") || "null");
      if (who && who.read) return who.token;
      return sessionStorage.getItem("tocsin.read-token");
    } catch (err) {
      return null;
    }
  }

  // "2026-06-11T08:30:00+08:00" as "6月11日 08:30".
  function short(t) {
    const m = /^\d{4}-(\d\d)-(\d\d)T(\d\d:\d\d)/.exec(t || "");
    return m ? `${Number(m[1])}月${Number(m[2])}日 ${m[3]}` : "—";
  }

  function table(id, heads, rows) {
    const t = $(id);
    t.replaceChildren();
    if (rows.length === 0) {
      const tr = t.insertRow();
      const td = tr.insertCell();
      td.colSpan = heads.length;
      td.className = "none";
      td.textContent = "无";
      return;
    }
    const head = t.createTHead().insertRow();
    for (const h of heads) {
      const th = document.createElement("th");
      th.textContent = h;
      head.appendChild(th);
    }
    const body = t.createTBody();
    for (const r of rows) {
      const tr = body.insertRow();
      for (const v of r) tr.insertCell().textContent = v == null ? "" : String(v);
    }
  }

  function render(s) {
    $("incoming").textContent = s.incoming ? s.incoming.name : "—";
    $("outgoing").textContent = s.outgoing ? s.outgoing.name : "—";
    $("span").textContent = `${short(s.at)} 至 ${short(s.until)}`;
    $("shift").textContent = `${s.at.slice(0, 10)} ${s.roster} 班次交接`;
    const c = s.counts;
    // A drill's (应急演练) items are listed, marked, and said in the count.
    const drills = (list) => list.filter((o) => o.drill).length;
    const of = (list, n) => (drills(list) ? `${n}（含演练${drills(list)}）` : `${n}`);
    $("counts").replaceChildren(...[["在办事件", of(s.open, c.open), "起"], ["已超时", of(s.overdue, c.overdue), "项"],
      ["本班次内到期", of(s.due_in_shift, c.due_in_shift), "项"], ["今日报告未报", c.reports_missing, "项"]].map(([k, n, u]) => {
      const li = document.createElement("li");
      const b = document.createElement("b");
      b.textContent = n;
      li.append(`${k} `, b, ` ${u}`);
      return li;
    }));
    const titled = (o) => (o.drill ? `【演练】${o.title}` : o.title);
    const deadline = (o) => [o.unit_name, titled(o), o.obligation_title, short(o.due_at), o.incident];
    table("overdue", ["单位", "事件", "时限", "到期", "编号"], s.overdue.map(deadline));
    table("due", ["单位", "事件", "时限", "到期", "编号"], s.due_in_shift.map(deadline));
    table("missing", ["单位", "报告", "时限", "状态"], s.reports_missing.map((d) =>
      [d.unit_name, d.title, short(d.due_at), STATUS[d.status] || d.status]));
    table("open", ["等级", "单位", "事件", "报告时间", "确认", "编号"], s.open.map((i) =>
      [GRADES[i.grade] || "未定级", i.unit_name, titled(i), short(i.opened_at), i.acknowledged ? "已确认" : "待确认", i.key]));
    $("summary").hidden = false;
    document.body.dataset.loaded = "1";
  }

  async function load() {
    const headers = { Accept: "application/json" };
    const t = token();
    if (t) headers.Authorization = `Bearer ${t}`;
    try {
      const r = await fetch(`/v1/handover${location.search}`, { cache: "no-store", headers });
      const body = await r.json();
      if (!r.ok) throw new Error((body && body.error && body.error.message) || `HTTP ${r.status}`);
      render(body);
    } catch (err) {
      $("error").textContent = `无法读取交接班记录：${err.message}`;
      $("error").hidden = false;
      $("shift").textContent = "";
    }
  }

  $("print").addEventListener("click", () => window.print());
  load();
})();
