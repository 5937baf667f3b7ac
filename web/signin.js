/*
 * Sign-in and confirmation for the board.  A person signs in with their
 * own token (a site's `token "liu" { person = "liu", ... }`): the page
 * asks GET /v1/session who it is, keeps it in this browser's
 * localStorage (tocsin.signin) until they sign out, and board.js reads
 * and acts with it, so an acknowledgement is recorded as that person.
 * No identity service: the token is the credential, as on the command
 * line.
 *
 * Also here: the confirmation every acknowledgement asks for (window.
 * tocsin.confirm and confirmAck), used by the board and the detail.
 */
"use strict";

(function () {
  const SIGNIN_KEY = "tocsin.signin";
  const tocsin = (window.tocsin = window.tocsin || {});
  const $ = (id) => document.getElementById(id);

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  // Who signed in (token.js reads what keep() wrote).
  const current = () => tocsin.token.signedIn();

  function keep(who) {
    try {
      if (who) localStorage.setItem(SIGNIN_KEY, JSON.stringify(who));
      else localStorage.removeItem(SIGNIN_KEY);
    } catch (err) {
      // A browser without storage signs in for this page only.
    }
  }

  // ------------------------------------------------------------ confirm

  let confirmBox = null;

  // A modal question; resolves true for the first button, false otherwise.
  function confirm(title, text, ok) {
    if (!confirmBox) {
      confirmBox = el("div", "modal confirm-box");
      confirmBox.id = "confirm";
      confirmBox.setAttribute("role", "dialog");
      confirmBox.setAttribute("aria-modal", "true");
      confirmBox.hidden = true;
      const card = el("div", "modal-card");
      card.append(el("h2", "modal-title"), el("p", "modal-text"));
      const buttons = el("div", "modal-buttons");
      const yes = el("button", "primary");
      yes.type = "button";
      yes.id = "confirm-ok";
      const no = el("button", "secondary", "取消");
      no.type = "button";
      no.id = "confirm-cancel";
      buttons.append(yes, no);
      card.append(buttons);
      confirmBox.append(card);
      document.body.append(confirmBox);
    }
    confirmBox.querySelector(".modal-title").textContent = title;
    confirmBox.querySelector(".modal-text").textContent = text;
    $("confirm-ok").textContent = ok;
    confirmBox.hidden = false;
    $("confirm-ok").focus();
    return new Promise((resolve) => {
      const done = (answer) => {
        confirmBox.hidden = true;
        $("confirm-ok").onclick = $("confirm-cancel").onclick = null;
        document.removeEventListener("keydown", onKey);
        resolve(answer);
      };
      const onKey = (ev) => {
        if (ev.key === "Escape") done(false);
      };
      $("confirm-ok").onclick = () => done(true);
      $("confirm-cancel").onclick = () => done(false);
      document.addEventListener("keydown", onKey);
    });
  }

  function confirmAck(inc) {
    const who = current();
    const as = who && who.person ? `，并以“${who.name || who.person}”的名义记录` : "";
    return confirm("确认收到？", `${inc.title || inc.key}\n确认后该事件的升级催报将停止${as}。`, "确认收到");
  }

  // ------------------------------------------------------------ sign-in

  let form = null;

  function buildForm() {
    form = el("form", "modal signin");
    form.id = "signin-form";
    form.hidden = true;
    const card = el("div", "modal-card");
    const label = el("label", null, "个人令牌");
    label.htmlFor = "signin-token";
    const input = el("input");
    input.id = "signin-token";
    input.type = "password";
    input.autocomplete = "off";
    input.spellcheck = false;
    input.required = true;
    const error = el("p", "signin-error");
    error.id = "signin-error";
    error.setAttribute("role", "alert");
    error.hidden = true;
    const buttons = el("div", "modal-buttons");
    const ok = el("button", "primary", "登录");
    ok.type = "submit";
    const no = el("button", "secondary", "取消");
    no.type = "button";
    no.addEventListener("click", () => { form.hidden = true; });
    buttons.append(ok, no);
    card.append(el("h2", "modal-title", "值班人员登录"),
      el("p", "modal-text", "请输入管理员发给您的个人令牌。确认等操作将以您的名义记录；令牌保存在本浏览器中，离开时请退出。"),
      label, input, error, buttons);
    form.append(card);
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      signIn(input.value.trim());
    });
    document.body.append(form);
  }

  async function signIn(token) {
    const error = $("signin-error");
    if (!token) return;
    let r;
    try {
      r = await fetch("/v1/session", {
        cache: "no-store", headers: { Accept: "application/json", Authorization: `Bearer ${token}` },
      });
    } catch (err) {
      error.textContent = "无法连接服务器，请稍后再试。";
      error.hidden = false;
      return;
    }
    if (!r.ok) {
      error.textContent = r.status === 401 ? "令牌无效，请核对后重新输入。" : `登录失败：HTTP ${r.status}`;
      error.hidden = false;
      return;
    }
    const s = await r.json();
    keep({ token, person: s.person, name: s.person_name || s.person || s.token,
      read: !!s.read, write: !!s.write });
    form.hidden = true;
    $("signin-token").value = "";
    show();
    if (tocsin.board) tocsin.board.refresh();
    if (tocsin.signedIn) tocsin.signedIn();
  }

  function signOut() {
    keep(null);
    show();
    if (tocsin.board) tocsin.board.refresh();
  }

  // The header's corner: who is signed in, or the way to sign in.
  let corner = null;

  function show() {
    const who = current();
    corner.replaceChildren();
    if (who) {
      const name = el("span", "signin-who", who.name);
      name.id = "signin-who";
      name.title = who.person ? `个人令牌：${who.person}` : "令牌";
      const out = el("button", "signin-button", "退出");
      out.type = "button";
      out.id = "signout";
      out.addEventListener("click", signOut);
      corner.append(name, out);
    } else {
      const inb = el("button", "signin-button", "登录");
      inb.type = "button";
      inb.id = "signin";
      inb.addEventListener("click", open);
      corner.append(inb);
    }
  }

  function open() {
    $("signin-error").hidden = true;
    form.hidden = false;
    $("signin-token").focus();
  }

  function setup() {
    corner = el("div", "signin-corner");
    corner.id = "signin-corner";
    const top = document.querySelector(".top");
    if (top) top.append(corner);
    buildForm();
    show();
    tocsin.confirm = confirm;
    tocsin.confirmAck = confirmAck;
    tocsin.signIn = open;
  }

  setup();
})();
