/*
 * The reading token of the board and the statistics page, kept once
 * here.  A site whose reads need a token opens a page as .../#token=
 * SECRET: the fragment never reaches a server; take() keeps it for this
 * tab (sessionStorage) and takes it out of the address bar.  read() is
 * what a request carries: the signed-in person's own token when it may
 * read (signin.js keeps it in localStorage), else the tab's.
 */
"use strict";

(function () {
  const READ_KEY = "tocsin.read-token";
  const SIGNIN_KEY = "tocsin.signin";   // written by signin.js
  const tocsin = (window.tocsin = window.tocsin || {});

  function take() {
    const m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
    if (!m) return;
    try {
      sessionStorage.setItem(READ_KEY, decodeURIComponent(m[1]));
    } catch (err) {
      // A browser without storage reads as no one.
    }
    history.replaceState(null, "", location.pathname + location.search);
  }

  // Who signed in on this browser: { token, person, name, read, write },
  // or null.
  function signedIn() {
    try {
      return JSON.parse(localStorage.getItem(SIGNIN_KEY) || "null");
    } catch (err) {
      return null;
    }
  }

  function read() {
    const who = signedIn();
    if (who && who.read && who.token) return who.token;
    try {
      return sessionStorage.getItem(READ_KEY);
    } catch (err) {
      return null;
    }
  }

  // The tab's token was refused: forget it.
  function forget() {
    try {
      sessionStorage.removeItem(READ_KEY);
    } catch (err) {
      // None kept.
    }
  }

  tocsin.token = { take, read, forget, signedIn };
})();
