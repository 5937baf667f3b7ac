/*
 * The board on a wall screen (issue 19): what nobody stands at the screen
 * to do.
 *
 * - Paging: when the incidents do not fit, the page scrolls itself a
 *   screen at a time and back to the top, dwelling PAGE_S seconds on each
 *   (/?wall=1 always; otherwise once it overflows and nobody has touched
 *   the screen for IDLE_S seconds).  /?wall=1&page=S sets the dwell.
 *   While the daemon is unreachable it rests at the top, under the banner.
 * - The alarm: after one click on 启用声音 (browsers let a page make no
 *   sound before a click), a tone made with WebAudio, no sound file, each
 *   time an incident becomes overdue or a grade I or II incident opens.
 *   A drill (应急演练) never rings: like the header's 超时 and 待确认
 *   (board.js, from /v1/board's drills_* counts), the alarm is for real
 *   events; the drill is on the list with its 演练 badge.
 * - Banners: the daemon unreachable (a read failed, or the data is older
 *   than STALE_S seconds); the holiday calendar is board.js's.
 * - Who is on duty now (今日值班、带班领导), from the board's on_duty.
 *
 * board.js announces each read as a "tocsin:board" event; this file only
 * listens.  Test hooks in the DOM: body[data-sound] ("off", "on" once the
 * AudioContext runs), body[data-alarms] (tones rung), body[data-alarm]
 * (the last incident that rang).
 */
"use strict";

(function () {
  const params = new URLSearchParams(location.search);
  const FORCED = params.get("wall") === "1";
  const PAGE_S = Math.max(2, Number(params.get("page")) || 10);
  const IDLE_S = 60;
  const STALE_S = 20;

  const $ = (id) => document.getElementById(id);
  let lastOk = 0;           // Date.now() of the last good read
  let lastAt = "";          // the daemon's time then, on the site's clock
  let failed = false;
  let known = null;         // incident key -> "overdue" / "open", last read
  let audio = null;
  let alarms = 0;
  let touched = 0;          // Date.now() of the last interaction
  let pageAt = Date.now();

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  // ------------------------------------------------------------ paging

  function overflowing() {
    return document.documentElement.scrollHeight > innerHeight + 4;
  }

  function paging() {
    const on = FORCED || (overflowing() && Date.now() - touched > IDLE_S * 1000);
    document.body.classList.toggle("wall", on);
    return on;
  }

  // One screen further, less the sticky header, or back to the top.
  // While the daemon is unreachable the page rests at the top, under the
  // banner: the rows below it are not to be trusted.
  function turnPage() {
    if (!paging()) return;
    if (!$("wall-offline").hidden) {
      if (scrollY !== 0) scrollTo(0, 0);
      return;
    }
    if (Date.now() - pageAt < PAGE_S * 1000) return;
    pageAt = Date.now();
    const top = document.querySelector(".top");
    const step = innerHeight - (top ? top.offsetHeight : 0) - 40;
    const end = document.documentElement.scrollHeight - innerHeight;
    const y = scrollY >= end - 2 ? 0 : Math.min(end, scrollY + Math.max(step, 100));
    scrollTo(0, y);
    document.body.dataset.page = String(Math.round(y));
  }

  function interacted() {
    touched = Date.now();
    if (!FORCED) document.body.classList.remove("wall");
  }

  // ------------------------------------------------------------ sound

  function soundButton() {
    const b = el("button", "wall-sound", "启用声音");
    b.id = "wall-sound";
    b.type = "button";
    b.title = "超时或特别重大、重大事件时发出提示音";
    b.addEventListener("click", enableSound);
    document.querySelector(".top .clock").before(b);
    document.body.dataset.sound = "off";
  }

  async function enableSound() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    audio = audio || new Ctx();
    try {
      await audio.resume();
    } catch (err) {
      return;
    }
    document.body.dataset.sound = audio.state === "running" ? "on" : "off";
    const b = $("wall-sound");
    b.textContent = "声音已启用";
    b.disabled = true;
    b.classList.add("on");
    beep(1);
  }

  // n short two-tone beeps (880/660 Hz), loud enough across a room.
  function beep(n) {
    if (!audio || audio.state !== "running") return;
    const t0 = audio.currentTime + 0.05;
    for (let i = 0; i < n * 2; i++) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      const t = t0 + i * 0.3;
      osc.type = "square";
      osc.frequency.value = i % 2 ? 660 : 880;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.3, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.25);
      osc.connect(gain).connect(audio.destination);
      osc.start(t);
      osc.stop(t + 0.28);
    }
  }

  function overdue(inc) {
    const o = inc.obligation;
    return !!o && (o.status === "breached" || o.due_in_s <= 0);
  }

  // What each incident is now; ring for what became overdue or opened
  // grave since the last read.  The first read only learns.
  function alarm(incidents) {
    const now = new Map();
    let ring = null;
    for (const inc of incidents) {
      if (inc.drill) continue;
      const state = overdue(inc) ? "overdue" : "open";
      now.set(inc.key, state);
      if (known === null) continue;
      const was = known.get(inc.key);
      if ((state === "overdue" && was !== "overdue") ||
          (was === undefined && inc.grade !== null && inc.grade <= 2))
        ring = ring || inc.key;
    }
    known = now;
    if (ring === null) return;
    alarms++;
    document.body.dataset.alarms = String(alarms);
    document.body.dataset.alarm = ring;
    document.body.classList.add("wall-alarm");
    setTimeout(() => document.body.classList.remove("wall-alarm"), 3000);
    beep(3);
  }

  // ------------------------------------------------------------ banners

  function offline() {
    const stale = lastOk > 0 ? Math.floor((Date.now() - lastOk) / 1000) : 0;
    const show = failed || stale > STALE_S;
    const b = $("wall-offline");
    b.hidden = !show;
    document.body.classList.toggle("wall-offline", show);
    if (!show) return;
    let text = "无法连接值班服务器，看板数据未更新";
    if (lastOk > 0)
      text += `（最后更新于 ${lastAt.slice(11, 19)}，已 ${stale} 秒）`;
    b.textContent = `${text}；请勿据此判断事件状态，并电话联系系统管理员`;
  }

  function onDuty(od) {
    const box = $("wall-duty");
    const names = (list) => (list || []).map((p) => p.name).join("、");
    const duty = names(od && od.duty);
    const leader = names(od && od.leader);
    box.hidden = !duty && !leader;
    box.replaceChildren();
    for (const [label, who, id] of [["今日值班", duty, "wall-duty-officer"], ["带班领导", leader, "wall-duty-leader"]]) {
      if (!who) continue;
      const item = el("span", "wall-duty-item");
      item.append(el("span", "wall-duty-label", label), el("span", "wall-duty-name", who));
      item.lastChild.id = id;
      box.appendChild(item);
    }
  }

  function setup() {
    const banner = el("p", "wall-offline-banner");
    banner.id = "wall-offline";
    banner.setAttribute("role", "alert");
    banner.hidden = true;
    const top = document.querySelector(".top");
    top.after(banner);
    const duty = el("p", "wall-duty");
    duty.id = "wall-duty";
    duty.hidden = true;
    top.querySelector(".clock").before(duty);
    soundButton();

    document.addEventListener("tocsin:board", (ev) => {
      lastOk = Date.now();
      lastAt = ev.detail.now || "";
      failed = false;
      onDuty(ev.detail.on_duty);
      alarm(ev.detail.incidents || []);
      offline();
    });
    document.addEventListener("tocsin:board-failed", () => {
      failed = true;
      offline();
    });
    for (const t of ["pointerdown", "keydown", "wheel", "touchstart"])
      addEventListener(t, interacted, { passive: true });
    setInterval(() => {
      offline();
      turnPage();
    }, 1000);
  }

  setup();
})();
