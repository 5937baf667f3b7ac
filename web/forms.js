/*
 * The duty officer's forms: a 首报 taken by telephone, a 续报 or 终报, an
 * assessment (研判定级) and a resolution (办结), each posted as an
 * ordinary event to POST /v1/events with the signed-in person's token, so
 * the daemon records who logged it (a person's token files as that
 * person) and holds it to the units the token covers, as on the command
 * line.  (The acknowledgement is the board's and the detail's confirmed
 * POST /v1/incidents/{key}/ack.)
 *
 * The daemon is the only validator: the form checks nothing itself (it
 * is sent with novalidate) and shows each refusal in Chinese beside the
 * field the error's "field" names, so what the form accepts is exactly
 * what the API accepts.  The units come from GET /v1/units, narrowed to
 * those the token may report for (GET /v1/session's units and the units
 * below them); the categories and grades from GET /v1/categories.
 *
 * A 首报 may be marked 演练 (a checkbox, off by default): the report is
 * sent with "drill": true, as the API takes it, and opens a drill (应急演练)
 * that runs the real timeline with every message marked 【演练】.  Later
 * forms about the incident leave "drill" out: its events belong to it.
 *
 * Opened from the header's 电话登记首报 button and from the detail's
 * buttons (tocsin.forms.open(kind, incident)).
 */
"use strict";

(function () {
  const tocsin = (window.tocsin = window.tocsin || {});
  const $ = (id) => document.getElementById(id);
  const pad = (n) => String(n).padStart(2, "0");

  // What each form is: its title, the event type it posts, its fields.
  const KINDS = {
    report: { title: "电话登记首报", type: "report", submit: "登记首报",
      fields: ["drill", "unit", "category", "grade", "title", "occurred_at", "location", "summary", "caller", "caller_phone"] },
    update: { title: "登记续报", type: "update", submit: "提交续报",
      fields: ["summary", "grade", "caller", "caller_phone"] },
    final: { title: "登记终报", type: "final", submit: "提交终报",
      fields: ["summary", "grade", "caller", "caller_phone"] },
    assessment: { title: "研判定级", type: "assessment", submit: "提交研判",
      fields: ["grade", "summary"] },
    resolve: { title: "办结", type: "resolve", submit: "办结",
      fields: ["summary"] },
  };

  // Each field: its label and how it is entered.  Fields the API knows
  // (title, summary, ...) go in as they are; the caller goes in attrs.
  const FIELDS = {
    drill: { label: "演练（应急演练，非真实事件）", tag: "input", type: "checkbox",
      hint: "勾选后按真实流程计时、通知和升级，所有消息前标注【演练】，看板单独显示，不计入迟报漏报统计。" },
    unit: { label: "报告单位", tag: "select" },
    category: { label: "事件类别", tag: "select" },
    grade: { label: "事件等级", tag: "select" },
    title: { label: "事件标题", tag: "input", hint: "如：县人民医院门户网站首页被篡改" },
    occurred_at: { label: "发生时间", tag: "input", type: "datetime-local" },
    location: { label: "发生地点", tag: "input" },
    summary: { label: "基本情况", tag: "textarea" },
    caller: { label: "来电人", tag: "input", hint: "姓名、职务" },
    caller_phone: { label: "来电号码", tag: "input", type: "tel" },
  };
  const SUMMARY = {
    update: "续报内容", final: "终报内容（处置结果、原因、损失）", assessment: "研判意见", resolve: "办结说明",
  };

  // SPEC's categories in the words of the 值班记录; a site's own shows
  // the title of the procedure that takes it.
  const CATEGORY = {
    network_security: "网络安全事件", public_opinion: "网络舆情", petition: "信访事项",
    facility_safety: "设施安全事故", public_security: "治安事件", disaster_accident: "灾害事故",
    disease: "传染病疫情", epidemic: "重大疫情", mass_incident: "群体性事件",
    criminal_case: "刑事案件", foreign_related: "涉外事件", terrorism: "恐怖袭击",
    medical_dispute: "医疗纠纷", production_safety: "安全生产事故", public_health: "公共卫生事件",
  };

  // The API's refusals, in Chinese; the field's label fills in {}.
  const CODES = {
    missing_field: "请填写{}。",
    wrong_type: "{}的格式不正确。",
    invalid_value: "{}的内容无效。",
    too_long: "{}过长，请精简后再提交。",
    unknown_unit: "系统中没有登记这个单位。",
    unknown_incident: "没有这个事件：可能已被清理，请刷新看板。",
    incident_exists: "这个事件编号已被其他单位使用，请重新提交。",
    drill_mismatch: "演练标记与这个事件不符：演练和真实事件请分别登记。",
    forbidden: "您的令牌无权执行此操作。",
    body_too_large: "内容过长，请精简后再提交。",
    store_failed: "服务器暂时无法保存，请稍后重新提交。",
    busy: "服务器繁忙，请稍后重新提交。",
  };

  // The messages whose reason matters more than the code.
  function reason(e, label) {
    const m = e.message || "";
    if (e.field === "occurred_at" && /later than/.test(m)) return "发生时间不能晚于现在：请核对日期和时刻。";
    if (/bidirectional/.test(m)) return `${label}含有看不见的文字方向控制字符（常见于复制粘贴），请删除后重新输入。`;
    if (e.field === "grade") return "等级应为特别重大、重大、较大或一般。";
    if (e.code === "forbidden" && e.field === "unit") return "您的令牌无权为这个单位报送：请选择您负责的单位，或换用该单位的令牌登录。";
    if (e.code === "forbidden" && e.field === "by") return "个人令牌只能以本人名义报送。";
    return (CODES[e.code] || "提交被拒绝：{}有误。").replace("{}", label);
  }

  let box = null;       // the form
  let kind = null;      // what it is for
  let inc = null;       // the incident an update etc. is about
  let busy = false;

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function headers(token, json) {
    const h = { Accept: "application/json" };
    if (json) h["Content-Type"] = "application/json";
    if (token) h.Authorization = `Bearer ${token}`;
    return h;
  }

  const board = () => tocsin.board || {};
  const readToken = () => (board().readToken ? board().readToken() : null);
  const writeToken = () => (board().writeToken ? board().writeToken() : null) || readToken();

  async function getJSON(path, token) {
    const r = await fetch(path, { cache: "no-store", headers: headers(token) });
    if (!r.ok) throw Object.assign(new Error(path), { status: r.status });
    return r.json();
  }

  // ------------------------------------------------------------ time

  // The site's offset in minutes (the board learns it from the daemon).
  const zone = () => (board().zone ? board().zone() : 8 * 60);
  const serverNow = () => (board().serverNow && board().serverNow()) || Date.now();

  function zoneText(z) {
    const a = Math.abs(z);
    return `${z < 0 ? "-" : "+"}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
  }

  // The site's wall clock now, as a datetime-local value.
  function localNow() {
    const d = new Date(serverNow() + zone() * 60000);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
      `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  }

  // A new incident's key: the unit's, so no other unit's can take it.
  function newKey(unit) {
    const d = new Date(serverNow() + zone() * 60000);
    return `${unit}-${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-` +
      `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  }

  // ------------------------------------------------------------ choices

  // The units the token may report for: its own and those below them.
  function covered(units, mine) {
    if (!mine || !mine.length) return units;
    const parent = new Map(units.map((u) => [u.id, u.parent]));
    return units.filter((u) => {
      for (let id = u.id, n = 0; id && n < 64; id = parent.get(id), n++) {
        if (mine.includes(id)) return true;
      }
      return false;
    });
  }

  async function fillChoices(form) {
    const reader = readToken(), writer = writeToken();
    const [units, cats, session] = await Promise.all([
      getJSON("/v1/units", reader), getJSON("/v1/categories", reader),
      writer ? getJSON("/v1/session", writer).catch(() => null) : null,
    ]);
    const unit = form.elements.unit;
    if (unit) {
      const list = covered(units.units, session && session.units);
      unit.replaceChildren(el("option", null, list.length ? "请选择报告单位" : "此令牌没有可报送的单位"));
      unit.firstChild.value = "";
      for (const u of list) {
        const o = el("option", null, u.name ? `${u.name}（${u.id}）` : u.id);
        o.value = u.id;
        unit.append(o);
      }
      if (list.length === 1) unit.value = list[0].id;
    }
    const cat = form.elements.category;
    if (cat) {
      cat.replaceChildren(el("option", null, "请选择事件类别"));
      cat.firstChild.value = "";
      for (const c of cats.categories) {
        const o = el("option", null, CATEGORY[c.category] || c.title || c.category);
        o.value = c.category;
        o.title = c.title || c.category;
        cat.append(o);
      }
    }
    const grade = form.elements.grade;
    if (grade) {
      grade.replaceChildren(el("option", null, kind === "report" ? "未定级（待研判）" : "不变"));
      grade.firstChild.value = "";
      for (const g of cats.grades) {
        const o = el("option", null, g.label);
        o.value = String(g.grade);
        grade.append(o);
      }
      if (kind === "assessment" && inc && inc.grade) grade.value = String(inc.grade);
    }
  }

  // ------------------------------------------------------------ drawing

  // The drill mark: a checkbox inside its label, its meaning under it.
  function check(name) {
    const f = FIELDS[name];
    const wrap = el("div", `f-field f-check f-${name}`);
    const id = `form-${name}`;
    const input = el("input");
    input.id = id;
    input.name = name;
    input.type = f.type;
    const label = el("label", null);
    label.htmlFor = id;
    label.append(input, el("span", null, f.label));
    const note = el("p", "f-note", f.hint);
    note.id = `form-note-${name}`;
    const error = el("p", "f-error");
    error.id = `form-error-${name}`;
    error.hidden = true;
    input.setAttribute("aria-describedby", `${note.id} ${error.id}`);
    input.addEventListener("change", () => {
      wrap.classList.toggle("on", input.checked);
      $("form-submit").textContent = input.checked ? "登记演练首报" : KINDS[kind].submit;
    });
    wrap.append(label, note, error);
    return wrap;
  }

  function field(name) {
    const f = FIELDS[name];
    if (f.type === "checkbox") return check(name);
    const wrap = el("div", `f-field f-${name}`);
    const id = `form-${name}`;
    const label = el("label", null, name === "summary" && SUMMARY[kind] ? SUMMARY[kind] : f.label);
    label.htmlFor = id;
    const input = el(f.tag);
    input.id = id;
    input.name = name;
    if (f.type) input.type = f.type;
    if (f.hint) input.placeholder = f.hint;
    if (f.tag === "textarea") input.rows = kind === "report" ? 3 : 4;
    if (f.tag !== "select") input.autocomplete = "off";
    const error = el("p", "f-error");
    error.id = `form-error-${name}`;
    error.hidden = true;
    input.setAttribute("aria-describedby", error.id);
    wrap.append(label, input, error);
    return wrap;
  }

  function build() {
    box = el("form", "modal forms");
    box.id = "event-form";
    box.noValidate = true;
    box.hidden = true;
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-modal", "true");
    box.addEventListener("submit", (ev) => {
      ev.preventDefault();
      send();
    });
    box.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") close();
    });
    document.body.append(box);
  }

  async function open(k, incident) {
    if (!KINDS[k]) return;
    kind = k;
    inc = incident || null;
    busy = false;
    const spec = KINDS[k];
    const card = el("div", "modal-card f-card");
    const title = el("h2", "modal-title", spec.title);
    title.id = "form-heading";
    box.setAttribute("aria-labelledby", title.id);
    card.append(title);
    const who = board().signedIn ? board().signedIn() : null;
    const about = inc ? `${inc.drill ? "【演练】" : ""}${inc.title || inc.key}（${inc.unit_name || inc.unit}）` : "";
    const by = who && who.person ? `记录人：${who.name}` : "未登录：记录为“值班室”。个人记录请先登录。";
    card.append(el("p", "f-about", [about, by].filter(Boolean).join(" · ")));
    const general = el("p", "f-error f-general");
    general.id = "form-error";
    general.setAttribute("role", "alert");
    general.hidden = true;
    card.append(general);
    const grid = el("div", "f-grid");
    for (const name of spec.fields) grid.append(field(name));
    card.append(grid);
    const buttons = el("div", "modal-buttons");
    const ok = el("button", "primary", spec.submit);
    ok.type = "submit";
    ok.id = "form-submit";
    const no = el("button", "secondary", "取消");
    no.type = "button";
    no.id = "form-cancel";
    no.addEventListener("click", close);
    buttons.append(ok, no);
    card.append(buttons);
    box.replaceChildren(card);
    box.hidden = false;
    document.body.classList.add("form-open");
    if (box.elements.occurred_at) box.elements.occurred_at.value = localNow();
    try {
      await fillChoices(box);
    } catch (err) {
      say(err.status === 401 ? "读取单位和类别需要令牌：请先登录。"
        : err.status ? `无法读取单位和类别：HTTP ${err.status}` : "无法连接服务器，请稍后再试。");
    }
    const first = box.querySelector("select, input:not([type=checkbox]), textarea");
    if (first) first.focus();
  }

  function close() {
    box.hidden = true;
    document.body.classList.remove("form-open");
    kind = inc = null;
  }

  function say(text) {
    const g = $("form-error");
    g.textContent = text;
    g.hidden = false;
  }

  function clearErrors() {
    for (const e of box.querySelectorAll(".f-error")) {
      e.hidden = true;
      e.textContent = "";
    }
    for (const e of box.querySelectorAll("[aria-invalid]")) e.removeAttribute("aria-invalid");
  }

  // The refusal beside its field, or above the form when no field of
  // this form is named (attrs, the body as a whole).
  function showError(status, e) {
    const name = e.field && e.field.startsWith("attrs.") ? e.field.slice(6) : e.field;
    const input = name && box.elements[name];
    const label = input ? (input.labels[0] || {}).textContent || name : (FIELDS[name] || {}).label || name || "内容";
    let text = status === 401 ? "令牌无效或已失效：请重新登录后再提交。" : reason(e, label);
    if (status === 403 && !e.field) text = "您的令牌无权对这个事件操作。";
    if (!input) {
      say(text);
      return;
    }
    const out = $(`form-error-${name}`);
    out.textContent = text;
    out.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }

  // ------------------------------------------------------------ sending

  function event(token) {
    const v = (name) => (box.elements[name] ? box.elements[name].value.trim() : "");
    const ev = { type: KINDS[kind].type };
    const who = board().signedIn ? board().signedIn() : null;
    if (kind === "report") {
      // No unit chosen: sent without one, the API says it is missing.
      if (v("unit")) ev.unit = v("unit");
      ev.incident = newKey(ev.unit || "report");
      ev.id = `${ev.incident}-report`;
      if (v("category")) ev.category = v("category");
      if (v("occurred_at")) ev.occurred_at = `${v("occurred_at")}:00${zoneText(zone())}`;
      // Left out unless ticked: a real report says nothing of drills.
      if (box.elements.drill && box.elements.drill.checked) ev.drill = true;
    } else {
      ev.unit = inc.unit;
      ev.incident = inc.key;
    }
    for (const name of ["title", "location", "summary"]) {
      if (v(name)) ev[name] = v(name);
    }
    if (v("grade")) ev.grade = Number(v("grade"));
    const attrs = {};
    if (v("caller")) attrs.caller = v("caller");
    if (v("caller_phone")) attrs.caller_phone = v("caller_phone");
    if (KINDS[kind].fields.includes("caller")) attrs.via = "phone";
    if (Object.keys(attrs).length) ev.attrs = attrs;
    // A duty-room token without a person still says who was on duty.
    if (!(who && who.person && who.token === token)) ev.by = "值班室";
    return ev;
  }

  async function send() {
    if (busy || !kind) return;
    clearErrors();
    const token = writeToken();
    const ev = event(token);
    if (kind === "resolve" && tocsin.confirm &&
        !(await tocsin.confirm("办结此事件？", `${inc.title || inc.key}\n办结后不再计时和通知。`, "办结"))) return;
    busy = true;
    $("form-submit").disabled = true;
    let r, body;
    try {
      r = await fetch("/v1/events", { method: "POST", headers: headers(token, true), body: JSON.stringify(ev) });
      body = await r.json().catch(() => null);
    } catch (err) {
      say("无法连接服务器，未保存：请稍后重新提交。");
    }
    busy = false;
    if ($("form-submit")) $("form-submit").disabled = false;
    if (!r) return;
    if (!r.ok) {
      showError(r.status, (body && body.error) || { code: "", message: `HTTP ${r.status}` });
      if (r.status === 401 && tocsin.signIn) tocsin.signIn();
      return;
    }
    const key = ev.incident, done = KINDS[kind].title, title = ev.title || (inc && inc.title) || key;
    close();
    notice(`已${done.replace("电话登记", "登记")}：${ev.drill ? "【演练】" : ""}${title}（编号 ${key}）`);
    if (tocsin.board && tocsin.board.refresh) tocsin.board.refresh();
    if (tocsin.detail) tocsin.detail(key);
  }

  let noticeTimer = null;

  function notice(text) {
    const n = $("notice");
    if (!n) return;
    n.textContent = text;
    n.classList.remove("bad");
    n.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { n.hidden = true; }, 8000);
  }

  // ------------------------------------------------------------ setup

  function setup() {
    build();
    tocsin.forms = { open };
    const b = el("button", "forms-open", "电话登记首报");
    b.type = "button";
    b.id = "form-report-open";
    b.addEventListener("click", () => open("report"));
    const top = document.querySelector(".top");
    if (top) top.insertBefore(b, $("signin-corner"));
  }

  setup();
})();
