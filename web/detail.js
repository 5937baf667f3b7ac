/*
 * One incident in full, in a drawer over the board: what it is, what is
 * owed and by when (counting down on the daemon's clock, as the board
 * does), who was told and whether the message arrived, the timeline as a
 * sentence per step, the events as they were filed, and what the reader
 * may do (acknowledge, resolve), each asked again before it is sent.
 *
 * Opened from a row's title (board.js calls tocsin.detail) and from an
 * address /#incident=KEY, which the acknowledgement page links to.  Data
 * from GET /v1/incidents/{key} with the board's reading token, so the
 * same scoping holds: another unit's incident is "not found".  Every
 * text from the server goes in through textContent.
 */
"use strict";

(function () {
  const REFRESH_MS = 10000;
  const SOON_MS = 15 * 60 * 1000;
  const tocsin = (window.tocsin = window.tocsin || {});
  const $ = (id) => document.getElementById(id);

  const GRADES = { 1: "特别重大（I级）", 2: "重大（II级）", 3: "较大（III级）", 4: "一般（IV级）" };
  const OBLIGATION = {
    pending: "待办", breached: "已超时", late: "迟报", missed: "漏报",
    met: "已完成", cancelled: "已取消",
  };
  const DELIVERY = {
    queued: "待发送", sending: "发送中", failed: "发送失败，重试中",
    delivered: "已送达", dead: "发送失败",
  };
  const EVENT = {
    report: "首报", update: "续报", final: "终报", assessment: "研判定级",
    ack: "确认收到", resolve: "办结", feedback: "反馈", daily: "日报告",
  };
  const FIELDS = {
    title: "标题", summary: "摘要", grade: "等级", category: "类别", unit: "单位",
    by: "报送人", occurred_at: "发生时间", received_at: "接收时间", reported_at: "报送时间",
    drill: "演练",
  };
  // The attributes the entry forms write (forms.js), by name; others show
  // under their own key.
  const ATTRS = { caller: "来电人", caller_phone: "来电电话", via: "报送方式" };
  const VIA = { phone: "电话" };
  const DRILL_TEXT = "应急演练：非真实事件，消息均标注【演练】，不计入迟报漏报统计";
  const REASONS = { escalation: "升级通知", opened: "立案通知", remind: "到期提醒", reminder: "到期提醒" };

  let box = null;       // the drawer
  let key = null;       // the incident shown
  let inc = null;       // as last read
  let skew = 0;         // the daemon's clock minus ours, from its "now"
  let zone = 8 * 60;
  let refreshTimer = null;
  let countdowns = [];  // [{ el, due, status }]

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  const pad = (n) => String(n).padStart(2, "0");

  function now() {
    const b = tocsin.board && tocsin.board.serverNow();
    return b != null ? b : Date.now() + skew;
  }

  function offsetOf(text) {
    const m = /([+-])(\d\d):(\d\d)$/.exec(text || "");
    if (!m) return 0;
    const v = Number(m[2]) * 60 + Number(m[3]);
    return m[1] === "-" ? -v : v;
  }

  // "10:02:05" today, "3月1日 10:02" another day: the site's wall clock.
  function when(text, seconds) {
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) return "";
    const d = new Date(ms + zone * 60000), n = new Date(now() + zone * 60000);
    const hm = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}` +
      (seconds ? `:${pad(d.getUTCSeconds())}` : "");
    if (d.getUTCFullYear() === n.getUTCFullYear() && d.getUTCMonth() === n.getUTCMonth() &&
        d.getUTCDate() === n.getUTCDate()) return hm;
    return `${d.getUTCMonth() + 1}月${d.getUTCDate()}日 ${hm}`;
  }

  function span(ms) {
    const s = Math.max(0, Math.floor(Math.abs(ms) / 1000));
    if (s < 60) return `${s}秒`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m}分${pad(s % 60)}秒`;
    const h = Math.floor(m / 60);
    if (h < 24) return `${h}小时${m % 60}分钟`;
    return `${Math.floor(h / 24)}天${h % 24}小时`;
  }

  // ------------------------------------------------------------ words

  function personName(id) {
    if (!id) return "—";
    if (inc && inc.acknowledged_by === id && inc.acknowledged_by_name) return inc.acknowledged_by_name;
    const n = (inc && inc.notifications || []).find((m) => m.recipient === id && m.recipient_name);
    return n ? n.recipient_name : id;
  }

  function oblTitle(id) {
    const o = (inc && inc.obligations || []).find((x) => x.id === id);
    return `“${o && o.title ? o.title : id}”`;
  }

  // The timeline, one sentence per step; an unknown kind reads as itself.
  const SAY = {
    "incident.opened": (a) => `立案，启动预案 ${a.procedure || ""}`.trim(),
    "incident.graded": (a) => `定级为${GRADES[a.grade] || "未定级"}`,
    "incident.acknowledged": (a) => `${personName(a.by)} 确认收到，升级催报停止`,
    "incident.resolved": (a) => `${personName(a.by)} 办结`,
    "obligation.set": (a) => `设定时限 ${oblTitle(a.obligation)}，${when(a.due_at)} 截止`,
    "obligation.tightened": (a) => `时限 ${oblTitle(a.obligation)} 提前至 ${when(a.due_at)}`,
    "obligation.met": (a) => `${oblTitle(a.obligation)} 已按时完成`,
    "obligation.late": (a) => `${oblTitle(a.obligation)} 逾期完成（迟报）`,
    "obligation.breached": (a) => `${oblTitle(a.obligation)} 已超时`,
    "obligation.missed": (a) => `${oblTitle(a.obligation)} 漏报`,
    "obligation.cancelled": (a) => `${oblTitle(a.obligation)} 已取消`,
    "obligation.reminded": (a) => `提醒 ${oblTitle(a.obligation)} 即将到期`,
    "escalation.step": (a) => `升级至第${a.step}级`,
    notify: (a) => `${REASONS[a.reason] || "通知"}：${personName(a.recipient)}（${a.channel}）`,
    "notification.fallback": (a) => `改用 ${a.channel} 通知 ${personName(a.recipient)}`,
    "notification.dead": (a) => `发给 ${personName(a.recipient)} 的消息最终未能送达`,
    "notification.receipt": (a) => `${personName(a.recipient)} 的回执：${a.result || a.status || ""}`,
    "event.unmatched": () => "无预案匹配，请人工研判",
    "event.rejected": (a) => `报送被拒绝${a.reason ? `：${a.reason}` : ""}`,
  };

  // ------------------------------------------------------------ drawing

  function section(title, cls) {
    const s = el("section", `d-section ${cls}`);
    s.append(el("h3", "d-head", title));
    return s;
  }

  function drawHead(body) {
    const head = el("header", `d-top g${inc.grade || 0}`);
    head.append(el("p", "d-grade", GRADES[inc.grade] || "未定级"));
    // A drill (应急演练) says so beside its grade, as its row on the board
    // does, so that no one acts on it as on the real thing.
    if (inc.drill) {
      const badge = el("p", "d-drill", "演练");
      badge.id = "detail-drill";
      badge.setAttribute("role", "note");
      badge.title = DRILL_TEXT;
      badge.setAttribute("aria-label", DRILL_TEXT);
      head.append(badge);
    }
    head.append(el("h2", "d-title", inc.title || inc.key));
    const meta = el("p", "d-meta");
    for (const t of [inc.unit_name || inc.unit, `编号 ${inc.key}`,
      inc.opened_at ? `${when(inc.opened_at)} 报告` : "",
      inc.occurred_at ? `${when(inc.occurred_at)} 发生` : ""]) {
      if (t) meta.append(el("span", null, t));
    }
    head.append(meta);
    let state;
    if (inc.state === "closed") state = `已办结 · ${when(inc.resolved_at)}`;
    else if (inc.acknowledged_at) state = `在办 · ${inc.acknowledged_by_name || inc.acknowledged_by || "—"} 已确认 · ${when(inc.acknowledged_at)}`;
    else state = "在办 · 待确认";
    head.append(el("p", "d-state", state));
    body.append(head);
  }

  function drawActions(body) {
    if (inc.state === "closed") return;
    const s = section("可执行操作", "d-actions");
    const row = el("div", "d-buttons");
    if (!inc.acknowledged_at) {
      const b = el("button", "primary", "确认收到");
      b.type = "button";
      b.id = "detail-ack";
      b.addEventListener("click", () => act("ack"));
      row.append(b);
    }
    // The duty officer's forms (forms.js), when the page has them.
    const forms = tocsin.forms;
    for (const [kind, text] of forms ? [["update", "续报"], ["final", "终报"], ["assessment", "研判定级"]] : []) {
      const f = el("button", "secondary", text);
      f.type = "button";
      f.id = `detail-${kind}`;
      f.addEventListener("click", () => forms.open(kind, inc));
      row.append(f);
    }
    const r = el("button", "secondary", "办结");
    r.type = "button";
    r.id = "detail-resolve";
    r.addEventListener("click", () => (forms ? forms.open("resolve", inc) : act("resolve")));
    row.append(r);
    const who = tocsin.board && tocsin.board.signedIn();
    s.append(row, el("p", "d-note", who && who.person ? `以“${who.name}”的名义操作`
      : "未登录：确认记录为“值班室”。个人确认请先登录。"));
    body.append(s);
  }

  function drawObligations(body) {
    const s = section("时限", "d-obligations");
    const list = el("ol", "d-list");
    countdowns = [];
    for (const o of inc.obligations || []) {
      const li = el("li", `d-ob st-${o.status}`);
      li.dataset.id = o.id;
      li.append(el("span", "d-ob-title", o.title || o.id));
      li.append(el("span", "d-ob-status", OBLIGATION[o.status] || o.status));
      li.append(el("span", "d-ob-due", `${when(o.due_at)} 截止` +
        (o.met_at ? ` · ${when(o.met_at)} 完成` : "")));
      const left = el("span", "d-ob-left");
      li.append(left);
      if (o.status === "pending" || o.status === "breached") {
        countdowns.push({ el: left, li, due: Date.parse(o.due_at) });
      }
      list.append(li);
    }
    if (!list.children.length) list.append(el("li", "d-none", inc.state === "closed" ? "无" : "无预案时限，请人工研判"));
    s.append(list);
    body.append(s);
  }

  function drawNotifications(body) {
    const s = section(`通知记录（${(inc.notifications || []).length}）`, "d-notifications");
    const list = el("ul", "d-list");
    for (const m of inc.notifications || []) {
      const li = el("li", `d-msg st-${m.status}`);
      li.append(el("span", "d-msg-who", m.recipient_name ? `${m.recipient_name}` : m.recipient));
      li.append(el("span", "d-msg-ch", m.channel));
      li.append(el("span", "d-msg-st", DELIVERY[m.status] || m.status));
      const t = m.delivered_at ? `${when(m.delivered_at, true)} 送达`
        : `${when(m.created_at, true)} 生成 · 第${m.attempts}次尝试`;
      li.append(el("span", "d-msg-at", t));
      if (m.last_error && m.status !== "delivered") li.append(el("span", "d-msg-err", m.last_error));
      list.append(li);
    }
    if (!list.children.length) list.append(el("li", "d-none", "尚未通知任何人"));
    s.append(list);
    body.append(s);
  }

  function drawTimeline(body) {
    const s = section("时间线", "d-timeline");
    const list = el("ol", "d-list");
    for (const a of inc.timeline || []) {
      const li = el("li", "d-step");
      li.dataset.kind = a.kind;
      li.append(el("time", "d-at", when(a.at, true)));
      li.append(el("span", "d-say", (SAY[a.kind] || ((x) => x.kind))(a)));
      list.append(li);
    }
    s.append(list);
    body.append(s);
  }

  // One line an attribute: a caller's name and number read as such, not
  // as the JSON they were sent in.
  function drawAttrs(dl, attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === "") continue;
      let text = typeof v === "object" ? JSON.stringify(v) : String(v);
      if (k === "via") text = VIA[v] || text;
      dl.append(el("dt", null, ATTRS[k] || k), el("dd", null, text));
    }
  }

  function drawEvents(body) {
    const s = section("报送记录", "d-events");
    const list = el("ol", "d-list");
    for (const ev of inc.events || []) {
      const li = el("li", "d-event");
      li.append(el("p", "d-ev-type", `${EVENT[ev.type] || ev.type} · ${when(ev.received_at, true)}`));
      const dl = el("dl", "d-ev-fields");
      for (const [k, v] of Object.entries(ev)) {
        if (["type", "incident", "seq", "received_at"].includes(k) || v == null || v === "") continue;
        if (k === "attrs" && typeof v === "object" && !Array.isArray(v)) {
          drawAttrs(dl, v);
          continue;
        }
        let text = typeof v === "object" ? JSON.stringify(v) : String(v);
        if (k === "grade") text = GRADES[v] || text;
        if (k === "unit") text = inc.unit_name && v === inc.unit ? inc.unit_name : text;
        if (k.endsWith("_at")) text = when(v, true) || text;
        if (k === "by") text = personName(v);
        if (k === "drill") text = v ? "是" : "否";
        dl.append(el("dt", null, FIELDS[k] || k), el("dd", null, text));
      }
      li.append(dl);
      list.append(li);
    }
    s.append(list);
    body.append(s);
  }

  function draw() {
    const body = $("detail-body");
    body.replaceChildren();
    drawHead(body);
    drawActions(body);
    drawObligations(body);
    drawNotifications(body);
    drawTimeline(body);
    drawEvents(body);
    tick();
  }

  function tick() {
    if (!key) return;
    const t = now();
    for (const c of countdowns) {
      const left = c.due - t;
      const text = left > 0 ? `剩余 ${span(left)}` : `已超时 ${span(-left)}`;
      if (c.el.textContent !== text) c.el.textContent = text;
      c.li.classList.toggle("overdue", left <= 0);
      c.li.classList.toggle("soon", left > 0 && left < SOON_MS);
    }
  }

  function say(text, bad) {
    const body = $("detail-body");
    body.replaceChildren();
    const p = el("p", bad ? "d-message bad" : "d-message", text);
    p.id = "detail-message";
    body.append(p);
  }

  // ------------------------------------------------------------ data

  function headers(token) {
    const h = { Accept: "application/json" };
    if (token) h.Authorization = `Bearer ${token}`;
    return h;
  }

  async function load() {
    const want = key;
    clearTimeout(refreshTimer);
    let r;
    try {
      r = await fetch(`/v1/incidents/${encodeURIComponent(want)}`, {
        cache: "no-store", headers: headers(tocsin.board && tocsin.board.readToken()),
      });
    } catch (err) {
      if (want === key && !inc) say("无法连接服务器，正在重试…", true);
      refreshTimer = setTimeout(load, REFRESH_MS);
      return;
    }
    if (want !== key) return;
    if (r.status === 401) {
      say("查看详情需要读取令牌：请先登录。", true);
      if (tocsin.signIn) tocsin.signIn();
      return;
    }
    if (r.status === 403 || r.status === 404) {
      say(`没有编号为“${want}”的事件，或此令牌无权查看。`, true);
      return;
    }
    if (!r.ok) {
      say(`读取失败：HTTP ${r.status}`, true);
      refreshTimer = setTimeout(load, REFRESH_MS);
      return;
    }
    inc = await r.json();
    if (inc.now) {
      skew = Date.parse(inc.now) - Date.now();
      zone = offsetOf(inc.now);
    }
    draw();
    refreshTimer = setTimeout(load, REFRESH_MS);
  }

  // Acknowledge or resolve, after asking; as the signed-in person when
  // there is one, else as the duty room (the board's word).
  async function act(kind) {
    if (!inc || !tocsin.confirm) return;
    const who = tocsin.board && tocsin.board.signedIn();
    const as = who && who.person ? `，以“${who.name}”的名义记录` : "";
    const ok = kind === "ack"
      ? await tocsin.confirm("确认收到？", `${inc.title || inc.key}\n确认后该事件的升级催报将停止${as}。`, "确认收到")
      : await tocsin.confirm("办结此事件？", `${inc.title || inc.key}\n办结后不再计时和通知${as}。`, "办结");
    if (!ok) return;
    const token = tocsin.board && tocsin.board.writeToken();
    const h = headers(token);
    h["Content-Type"] = "application/json";
    const body = who && who.person && who.token === token ? {} : { by: "值班室" };
    let r;
    try {
      r = await fetch(`/v1/incidents/${encodeURIComponent(inc.key)}/${kind}`, {
        method: "POST", headers: h, body: JSON.stringify(body),
      });
    } catch (err) {
      note("操作失败：无法连接服务器，请稍后再试。", true);
      return;
    }
    if (r.status === 401) {
      note("需要有效的写入令牌：请先登录。", true);
      if (tocsin.signIn) tocsin.signIn();
      return;
    }
    if (!r.ok) {
      const b = await r.json().catch(() => null);
      note(`操作失败：${(b && b.error && b.error.message) || `HTTP ${r.status}`}`, true);
      return;
    }
    note(kind === "ack" ? "已确认收到" : "已办结");
    if (tocsin.board) tocsin.board.refresh();
    load();
  }

  function note(text, bad) {
    const n = $("detail-note");
    n.textContent = text;
    n.classList.toggle("bad", !!bad);
    n.hidden = false;
  }

  // ------------------------------------------------------------ drawer

  function build() {
    box = el("aside", "detail");
    box.id = "detail";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-modal", "true");
    box.setAttribute("aria-label", "事件详情");
    box.hidden = true;
    const bar = el("div", "d-bar");
    bar.append(el("span", "d-bar-title", "事件详情"));
    const close = el("button", "d-close", "关闭");
    close.type = "button";
    close.id = "detail-close";
    close.addEventListener("click", hide);
    bar.append(close);
    const n = el("p", "d-notice");
    n.id = "detail-note";
    n.setAttribute("role", "status");
    n.hidden = true;
    const body = el("div", "d-body");
    body.id = "detail-body";
    box.append(bar, n, body);
    const shade = el("div", "detail-shade");
    shade.id = "detail-shade";
    shade.hidden = true;
    shade.addEventListener("click", hide);
    document.body.append(shade, box);
    document.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape" && key && ($("confirm") || {}).hidden !== false) hide();
    });
  }

  function show(k) {
    key = k;
    inc = null;
    $("detail-note").hidden = true;
    say("正在读取…");
    box.hidden = false;
    $("detail-shade").hidden = false;
    document.body.classList.add("detail-open");
    history.replaceState(null, "", `${location.pathname}${location.search}#incident=${encodeURIComponent(k)}`);
    box.scrollTop = 0;
    $("detail-close").focus();
    load();
  }

  function hide() {
    key = null;
    inc = null;
    clearTimeout(refreshTimer);
    box.hidden = true;
    $("detail-shade").hidden = true;
    document.body.classList.remove("detail-open");
    history.replaceState(null, "", location.pathname + location.search);
  }

  function setup() {
    build();
    tocsin.detail = show;
    // After sign-in, a drawer that needed it reads again.
    tocsin.signedIn = () => { if (key) load(); };
    setInterval(tick, 1000);
    const m = /(?:^#|&)incident=([^&]*)/.exec(location.hash);
    if (m) show(decodeURIComponent(m[1]));
  }

  setup();
})();
