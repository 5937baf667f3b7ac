/*
 * The duty-room board: polls GET /v1/board every few seconds, ticks the
 * countdowns every second on the server's clock, and acknowledges an
 * incident with POST /v1/incidents/{key}/ack.  Rows are kept by incident
 * key and updated in place, so a poll never loses a click.
 *
 * Above the incidents, today's recurring reports (日报告、零报告), one chip
 * per unit: filed, zero report, late, overdue, missed, or still to come
 * with its countdown.  A report no procedure took stays red until someone
 * acknowledges it.
 *
 * Every text from the server goes in through textContent, never as HTML:
 * titles come from whoever reported the incident.
 *
 * /?unit=ID shows that unit's board (its subtree).  A site whose reads
 * need a token is opened as /#token=SECRET: the fragment never reaches a
 * server; the page keeps the token for this tab (sessionStorage), takes
 * it out of the address bar, and sends it with every request.
 *
 * The screens in their own files hook in through window.tocsin: a row's
 * title opens the incident's detail (detail.js); signin.js keeps a
 * person's own token (tocsin.signin in localStorage), which this page
 * then reads and acts with, and asks before an acknowledgement.  Each
 * board read is announced as a "tocsin:board" event (a failed read as
 * "tocsin:board-failed") for wall.js: paging, the alarm, the banners.
 */
"use strict";

(function () {
  const POLL_MS = 5000;
  const ACK_BY = "值班室";
  const TOKEN_KEY = "tocsin.token";
  const UNIT = new URLSearchParams(location.search).get("unit");
  const SOON_MS = 15 * 60 * 1000;     // a deadline this near turns amber

  // SPEC §1: 1 is the gravest.  The warning colours are in board.css.
  const GRADES = {
    1: ["特别重大", "I级"],
    2: ["重大", "II级"],
    3: ["较大", "III级"],
    4: ["一般", "IV级"],
  };
  const CATEGORIES = {
    network_security: "网络安全", public_opinion: "舆情", petition: "信访",
    facility_safety: "设施安全", public_security: "治安",
    disaster_accident: "灾害事故", disease: "疾病", epidemic: "疫情",
    mass_incident: "群体性事件", criminal_case: "刑事案件",
    foreign_related: "涉外", terrorism: "恐怖袭击",
    medical_dispute: "医疗纠纷", production_safety: "安全生产",
    public_health: "公共卫生",
  };

  // A recurring report's status: its chip's class, word, and how urgent
  // it is (the most urgent chips come first in their group).
  const DUTY = {
    breached: ["st-breached", "未报", 0],
    missed: ["st-missed", "漏报", 1],
    pending: ["st-pending", "待报", 2],
    late: ["st-late", "迟报", 3],
    met: ["st-met", "已报", 4],
    cancelled: ["st-cancelled", "已取消", 5],
  };

  const rows = new Map();     // incident key -> row (see makeRow)
  let duties = [];            // [{ duty, el }] as shown
  let dutiesSeen = "";        // the duties data they were drawn from
  let skew = null;            // the server's clock minus ours, ms
  let zone = 8 * 60;          // the site's UTC offset in minutes
  let lastOk = 0;             // our clock at the last good poll
  let generation = 0;         // bumped by each acknowledgement
  let pollTimer = null;
  let polling = false;
  let pollAgain = false;
  let noticeTimer = null;
  let awaitingToken = null;   // the key whose acknowledgement needs one

  const $ = (id) => document.getElementById(id);

  function el(tag, cls) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    return e;
  }

  // Set a node's text, touching the page only when it changes.
  function setText(node, text) {
    text = text == null ? "" : String(text);
    if (node.textContent !== text) node.textContent = text;
  }

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  function serverNow() {
    return Date.now() + (skew || 0);
  }

  // "+08:00" at the end of an RFC 3339 time, in minutes; "Z" is 0.
  function offsetOf(text) {
    const m = /([+-])(\d\d):(\d\d)$/.exec(text || "");
    if (!m) return 0;
    const v = Number(m[2]) * 60 + Number(m[3]);
    return m[1] === "-" ? -v : v;
  }

  // A time as the site's wall clock shows it, whatever the screen's zone.
  function siteParts(ms) {
    const d = new Date(ms + zone * 60000);
    return {
      y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(),
      h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds(),
    };
  }

  function siteClock(ms) {
    const p = siteParts(ms);
    return `${p.y}-${pad(p.mo)}-${pad(p.d)} ${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}`;
  }

  // "10:02" today, "3月1日 10:02" another day.
  function siteShort(text) {
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) return "";
    const p = siteParts(ms), n = siteParts(serverNow());
    const hm = `${pad(p.h)}:${pad(p.mi)}`;
    if (p.y === n.y && p.mo === n.mo && p.d === n.d) return hm;
    return `${p.mo}月${p.d}日 ${hm}`;
  }

  // Time left, as a clock: "04:59", "1:59:58", "3天 04:00:00".
  function leftText(ms) {
    let s = Math.ceil(ms / 1000);
    const days = Math.floor(s / 86400);
    s -= days * 86400;
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    const clock = h > 0 || days > 0 ? `${days > 0 ? pad(h) : h}:${pad(m)}:${pad(s % 60)}`
      : `${pad(m)}:${pad(s % 60)}`;
    return days > 0 ? `${days}天 ${clock}` : clock;
  }

  // How long overdue, as a duty officer says it: "15分钟", "1小时5分钟".
  function overdueText(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return `${s}秒`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m}分钟`;
    const h = Math.floor(m / 60);
    if (h < 24) return `${h}小时${m % 60}分钟`;
    return `${Math.floor(h / 24)}天${h % 24}小时`;
  }

  // ---------------------------------------------------------------- rows

  function makeRow(key) {
    const row = { key, inc: null, busy: false };
    row.el = el("li", "row");
    row.el.dataset.key = key;

    const grade = el("div", "grade");
    row.gradeName = el("span", "grade-name");
    row.gradeLevel = el("span", "grade-level");
    grade.append(row.gradeName, row.gradeLevel);

    const what = el("div", "what");
    row.title = el("h2", "title");
    row.title.tabIndex = 0;
    row.title.addEventListener("click", () => openDetail(key));
    row.title.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") openDetail(key);
    });
    const meta = el("p", "meta");
    row.unit = el("span", "unit");
    row.category = el("span", "category");
    row.opened = el("span", "opened");
    row.keyText = el("span", "key");
    meta.append(row.unit, row.category, row.opened, row.keyText);
    what.append(row.title, meta);

    const due = el("div", "due");
    row.oblTitle = el("p", "obligation");
    row.countdown = el("p", "countdown");
    row.oblMore = el("p", "more");
    due.append(row.oblTitle, row.countdown, row.oblMore);

    const esc = el("div", "esc");
    row.escMain = el("p", "esc-main");
    row.escSub = el("p", "esc-sub");
    esc.append(row.escMain, row.escSub);

    const ack = el("div", "ack");
    row.button = el("button", "ack-button");
    row.button.type = "button";
    row.button.addEventListener("click", () => acknowledge(key));
    row.acked = el("div", "acked");
    row.ackedWho = el("p", "acked-who");
    const ackedTitle = el("p", "acked-title");
    ackedTitle.textContent = "✓ 已确认";
    row.acked.append(ackedTitle, row.ackedWho);
    ack.append(row.button, row.acked);

    row.el.append(grade, what, due, esc, ack);
    return row;
  }

  function fillRow(row, inc) {
    row.inc = inc;
    const g = GRADES[inc.grade];
    row.el.classList.remove("g0", "g1", "g2", "g3", "g4");
    row.el.classList.add(g ? `g${inc.grade}` : "g0");
    setText(row.gradeName, g ? g[0] : "未定级");
    setText(row.gradeLevel, g ? g[1] : "");

    setText(row.title, inc.title || inc.key);
    // The unit's declared name; its id on hover (and alone when undeclared).
    setText(row.unit, inc.unit_name || inc.unit);
    row.unit.title = inc.unit_name ? inc.unit : "";
    setText(row.category, CATEGORIES[inc.category] || inc.category || "");
    setText(row.opened, inc.opened_at ? `${siteShort(inc.opened_at)} 报告` : "");
    setText(row.keyText, `编号 ${inc.key}`);

    const o = inc.obligation;
    setText(row.oblTitle, o ? (o.title || o.id) : inc.unmatched ? "无预案匹配" : "无待办时限");
    const more = inc.obligations_open - 1;
    setText(row.oblMore, o && more > 0 ? `另有 ${more} 项时限` +
      (inc.obligations_breached > 1 ? `，${inc.obligations_breached} 项已超时` : "") : "");

    const e = inc.escalation;
    if (!e) {
      setText(row.escMain, "未升级");
      setText(row.escSub, "");
    } else {
      setText(row.escMain, `已升级至第${e.step}级`);
      const parts = [];
      if (e.steps) parts.push(`共${e.steps}级`);
      if (e.repeats > 0) parts.push(`重复${e.repeats}次`);
      parts.push({ active: "升级中", stopped: "已停止", done: "已通知完毕" }[e.state] || e.state);
      setText(row.escSub, parts.join(" · "));
    }
    row.el.classList.toggle("escalated", !!e);
    row.el.classList.toggle("esc-stopped", !!e && e.state === "stopped");

    const acked = !!inc.acknowledged_at;
    row.el.classList.toggle("is-acked", acked);
    row.el.classList.toggle("unmatched", !!inc.unmatched && !acked);
    // A drill (应急演练) wears a badge (board.css) and is counted apart.
    row.el.classList.toggle("drill", !!inc.drill);
    row.button.hidden = acked;
    row.button.disabled = row.busy;
    setText(row.button, row.busy ? "确认中…" : "确认收到");
    const who = inc.acknowledged_by_name || inc.acknowledged_by || "—";
    setText(row.ackedWho, acked ? `${who} · ${siteShort(inc.acknowledged_at)}` : "");
    row.acked.hidden = !acked;
    tickRow(row, serverNow());
  }

  function tickRow(row, now) {
    const o = row.inc && row.inc.obligation;
    if (!o) {
      const alone = row.inc && row.inc.unmatched && !row.inc.acknowledged_at;
      setText(row.countdown, alone ? "请人工研判" : "");
      row.el.classList.remove("overdue", "soon");
      return;
    }
    const left = Date.parse(o.due_at) - now;
    const overdue = o.status === "breached" || left <= 0;
    row.el.classList.toggle("overdue", overdue);
    row.el.classList.toggle("soon", !overdue && left < SOON_MS);
    setText(row.countdown, overdue ? `已超时 ${overdueText(-left)}` : `剩余 ${leftText(left)}`);
  }

  // ---------------------------------------------------------------- duties

  function dutyText(d, now) {
    const st = d.status === "met" && d.zero ? "零报告" : (DUTY[d.status] || [, d.status])[1];
    const filed = d.filed_at ? ` ${siteShort(d.filed_at)}` : "";
    if (d.status === "met" || d.status === "late") return `${st}${d.zero && d.status === "late" ? "·零报告" : ""}${filed}`;
    if (d.status === "pending" || d.status === "breached") {
      const left = Date.parse(d.due_at) - now;
      return left > 0 ? `${st} 剩余 ${leftText(left)}` : `${st} 已超时 ${overdueText(-left)}`;
    }
    return st;
  }

  function tickDuty(item, now) {
    const d = item.duty;
    setText(item.state, dutyText(d, now));
    const left = Date.parse(d.due_at) - now;
    const late = d.status === "breached" || (d.status === "pending" && left <= 0);
    item.el.classList.toggle("st-breached", late);
    item.el.classList.toggle("soon", d.status === "pending" && left > 0 && left < SOON_MS);
  }

  function makeDuty(d) {
    const li = el("li", `duty ${(DUTY[d.status] || ["st-other"])[0]}`);
    if (d.status === "met" && d.zero) li.classList.add("st-zero");
    li.dataset.unit = d.unit;
    li.dataset.status = d.status;
    const unit = el("span", "duty-unit");
    unit.textContent = d.unit_name || d.unit;
    if (d.unit_name) unit.title = d.unit;
    const state = el("span", "duty-state");
    li.append(unit, state);
    return { duty: d, el: li, state };
  }

  // One group per recurring report and due time, the most urgent chip first.
  function renderDuties(list) {
    const seen = JSON.stringify(list.map((d) => [d.recurring, d.title, d.unit, d.unit_name, d.due_at, d.status, d.filed_at, d.zero]));
    if (seen === dutiesSeen) return;
    dutiesSeen = seen;
    const groups = new Map();
    for (const d of list) {
      const k = `${d.recurring}\n${d.due_at}`;
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k).push(d);
    }
    const box = $("duty-groups");
    box.replaceChildren();
    duties = [];
    for (const ds of groups.values()) {
      const g = el("div", "duty-group");
      g.dataset.recurring = ds[0].recurring;
      const title = el("h3", "duty-title");
      title.textContent = `${ds[0].title || ds[0].recurring} · ${siteShort(ds[0].due_at)} 截止`;
      const ul = el("ul", "duty-list");
      ds.sort((a, b) => (DUTY[a.status] || [, , 9])[2] - (DUTY[b.status] || [, , 9])[2]
        || (a.unit_name || a.unit).localeCompare(b.unit_name || b.unit));
      for (const d of ds) {
        const item = makeDuty(d);
        duties.push(item);
        ul.append(item.el);
      }
      g.append(title, ul);
      box.append(g);
    }
    $("duties").hidden = list.length === 0;
  }

  function dutySummary(c) {
    if (!c) return "";
    const total = c.filed + c.late + c.overdue + c.missed + c.pending;
    const parts = [`应报 ${total}`, `已报 ${c.filed}`];
    if (c.late) parts.push(`迟报 ${c.late}`);
    if (c.overdue) parts.push(`超时未报 ${c.overdue}`);
    if (c.missed) parts.push(`漏报 ${c.missed}`);
    if (c.pending) parts.push(`待报 ${c.pending}`);
    return parts.join(" · ");
  }

  function tick() {
    const now = serverNow();
    if (skew !== null) setText($("clock"), siteClock(now));
    for (const row of rows.values()) tickRow(row, now);
    for (const item of duties) tickDuty(item, now);
    const stale = lastOk > 0 && Date.now() - lastOk > 3 * POLL_MS;
    document.body.classList.toggle("stale", stale);
  }

  // ---------------------------------------------------------------- data

  function render(board) {
    const list = $("board");
    const seen = new Set();
    board.incidents.forEach((inc, i) => {
      let row = rows.get(inc.key);
      if (!row) {
        row = makeRow(inc.key);
        rows.set(inc.key, row);
      }
      fillRow(row, inc);
      seen.add(inc.key);
      if (list.children[i] !== row.el) list.insertBefore(row.el, list.children[i] || null);
    });
    for (const [key, row] of rows) {
      if (!seen.has(key)) {
        row.el.remove();
        rows.delete(key);
      }
    }
    $("empty").hidden = board.incidents.length > 0;
    // The headline is the real events': a drill (counted in each count
    // and again in its drills_ share) is listed with its badge and counted
    // under 演练 alone, never as 超时, 待确认 or 无预案 on the wall.
    const c = board.counts;
    const drills = c.drills || 0;
    const overdue = c.overdue - (c.drills_overdue || 0);
    setText($("n-open"), c.open - drills);
    setText($("n-drill"), drills);
    $("count-drill").hidden = drills === 0;
    setText($("n-overdue"), overdue);
    setText($("n-unacked"), c.unacknowledged - (c.drills_unacknowledged || 0));
    document.body.classList.toggle("has-overdue", overdue > 0);
    const unmatched = (c.unmatched || 0) - (c.drills_unmatched || 0);
    setText($("n-unmatched"), unmatched);
    $("count-unmatched").hidden = unmatched === 0;
    document.body.classList.toggle("has-unmatched", unmatched > 0);
    renderDuties(board.duties || []);
    setText($("duties-sum"), dutySummary(board.counts.duties));
    renderCalendar(board.calendar);
    document.dispatchEvent(new CustomEvent("tocsin:board", { detail: board }));
  }

  // A year without its State Council notice (SPEC §5): its 调休 are not
  // known, so working-day deadlines in it may move when the notice comes.
  function renderCalendar(cal) {
    const years = ((cal && cal.years) || []).filter((y) => y.provisional)
      .map((y) => y.year);
    const banner = $("calendar");
    banner.hidden = years.length === 0;
    setText(banner, years.length === 0 ? "" : years.join("、") +
      "年节假日安排暂定：国务院办公厅放假通知尚未录入，暂按法定节假日计算，" +
      "调休未计，工作日时限可能变动");
  }

  // The server's "now" is in whole seconds and a little old on arrival, so
  // each reading is at most the true skew: keep the largest, unless the
  // clocks jumped.
  function learnClock(text) {
    const seen = Date.parse(text) - Date.now();
    if (Number.isNaN(seen)) return;
    if (skew === null || seen > skew || skew - seen > 3000) skew = seen;
    zone = offsetOf(text);
  }

  // One poll at a time; a poll asked for while one runs follows it at once.
  async function poll() {
    if (polling) {
      pollAgain = true;
      return;
    }
    polling = true;
    pollAgain = false;
    clearTimeout(pollTimer);
    const gen = generation;
    try {
      const headers = { Accept: "application/json" };
      const reader = readToken();
      if (reader) headers.Authorization = `Bearer ${reader}`;
      const path = UNIT ? `/v1/board?unit=${encodeURIComponent(UNIT)}&subtree=1` : "/v1/board";
      const r = await fetch(path, { cache: "no-store", headers });
      if (r.status === 401 || r.status === 403) {
        denied(r.status, reader);
      } else if (!r.ok) {
        throw new Error(`HTTP ${r.status}`);
      } else if (gen !== generation) {
        pollAgain = true;             // an acknowledgement overtook it
      } else {
        const board = await r.json();
        $("denied").hidden = true;
        $("board").hidden = false;
        learnClock(board.now);
        render(board);
        lastOk = Date.now();
        setText($("status"), `已更新 ${siteClock(serverNow()).slice(11)}`);
        $("status").classList.remove("bad");
      }
    } catch (err) {
      setText($("status"), lastOk ? "连接中断，正在重试…" : "无法连接服务器，正在重试…");
      $("status").classList.add("bad");
      document.dispatchEvent(new CustomEvent("tocsin:board-failed"));
    }
    polling = false;
    tick();
    pollTimer = setTimeout(poll, pollAgain ? 0 : POLL_MS);
  }

  // ---------------------------------------------------------------- actions

  function notice(text, bad) {
    const n = $("notice");
    setText(n, text);
    n.classList.toggle("bad", !!bad);
    n.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { n.hidden = true; }, bad ? 10000 : 5000);
  }

  // The reading token and who signed in: token.js.
  const takeReadToken = () => window.tocsin.token.take();
  const readToken = () => window.tocsin.token.read();
  const signedIn = () => window.tocsin.token.signedIn();

  // The board refused: say why, in place of the incidents.
  function denied(status, reader) {
    let text;
    if (status === 401 && reader) {
      window.tocsin.token.forget();
      text = "读取令牌无效或已失效：请用新的带令牌地址（…/#token=…）重新打开看板。";
    } else if (status === 401) {
      text = "此看板需要读取令牌：请点击右上角“登录”输入个人令牌，或用管理员提供的带令牌地址（…/#token=…）打开。";
    } else if (UNIT) {
      text = `此令牌无权查看单位“${UNIT}”的看板。`;
    } else {
      text = "此令牌无权读取看板。";
    }
    setText($("denied"), text);
    $("denied").hidden = false;
    $("empty").hidden = true;
    $("board").hidden = true;       // what it showed is no longer this reader's
    $("duties").hidden = true;
    setText($("status"), status === 401 ? "需要读取令牌" : "无权查看");
    $("status").classList.add("bad");
  }

  function storedToken() {
    const who = signedIn();
    if (who && who.write) return who.token;
    try {
      return localStorage.getItem(TOKEN_KEY);
    } catch (err) {
      return null;
    }
  }

  function storeToken(token) {
    try {
      if (token) localStorage.setItem(TOKEN_KEY, token);
      else localStorage.removeItem(TOKEN_KEY);
    } catch (err) {
      // A browser without storage asks again next time.
    }
  }

  function askToken(key, message) {
    awaitingToken = key;
    setText($("token-message"), message);
    $("token-form").hidden = false;
    $("token-input").value = "";
    $("token-input").focus();
  }

  // confirmed: asked already (a retry after the token was given).
  async function acknowledge(key, confirmed) {
    const row = rows.get(key);
    if (!row || row.busy) return;
    const title = row.inc.title || key;
    const ask = window.tocsin && window.tocsin.confirmAck;
    if (!confirmed && ask && !(await ask(row.inc))) return;
    if (row.busy) return;
    const token = storedToken() || readToken();
    const who = signedIn();
    // A person's token acts as that person: the daemon records their id.
    const by = who && who.person && who.token === token ? {} : { by: ACK_BY };
    const headers = { "Content-Type": "application/json" };
    if (token) headers.Authorization = `Bearer ${token}`;
    row.busy = true;
    generation++;
    fillRow(row, row.inc);
    try {
      const r = await fetch(`/v1/incidents/${encodeURIComponent(key)}/ack`, {
        method: "POST", headers, body: JSON.stringify(by),
      });
      if (r.status === 401) {
        storeToken(null);
        notice("确认未完成：需要有效的写入令牌。", true);
        askToken(key, token ? "令牌无效或已失效，请重新输入值班室的写入令牌。"
          : "此站点的写入操作需要令牌，请输入值班室的写入令牌。");
      } else if (r.ok) {
        const inc = await r.json();
        row.inc = Object.assign({}, row.inc, {
          acknowledged_at: inc.acknowledged_at, acknowledged_by: inc.acknowledged_by,
          acknowledged_by_name: inc.acknowledged_by_name,
        });
        notice(`已确认收到：${title}`);
      } else {
        const body = await r.json().catch(() => null);
        const why = body && body.error && body.error.message;
        notice(`确认失败：${why || `HTTP ${r.status}`}`, true);
      }
    } catch (err) {
      notice("确认失败：无法连接服务器，请稍后再试。", true);
    }
    row.busy = false;
    if (rows.get(key) === row) fillRow(row, row.inc);
    generation++;
    poll();
  }

  function openDetail(key) {
    if (window.tocsin && window.tocsin.detail) window.tocsin.detail(key);
  }

  function setup() {
    takeReadToken();
    window.tocsin = window.tocsin || {};
    window.tocsin.board = {
      serverNow: () => (skew === null ? null : serverNow()),
      zone: () => zone,
      refresh: () => poll(),
      readToken, writeToken: storedToken, signedIn,
    };
    $("token-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const token = $("token-input").value.trim();
      if (!token) return;
      storeToken(token);
      $("token-form").hidden = true;
      const key = awaitingToken;
      awaitingToken = null;
      if (key) acknowledge(key, true);
    });
    $("token-cancel").addEventListener("click", () => {
      $("token-form").hidden = true;
      awaitingToken = null;
    });
    setInterval(tick, 1000);
    poll();
  }

  setup();
})();
