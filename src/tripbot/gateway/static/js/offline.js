// Without signal: registers the service worker, saves an event's pages for use offline when
// they are opened, and says when what is shown is a saved copy. Forms that need the server
// say so instead of failing. Progressive enhancement: without it every page still works.
"use strict";

(() => {
  const PAGES = "tripbot-pages";
  const root = document.documentElement;
  const body = () => document.body.dataset;

  const when = (iso) => {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return "";
    return new Intl.DateTimeFormat(root.lang || undefined, { dateStyle: "medium", timeStyle: "short" }).format(date);
  };

  const say = (template, values) => template.replace(/\{(\w+)\}/g, (_m, name) => values[name] ?? "");

  // The server answers, or not: navigator.onLine only knows of a network, not of the server.
  const reachable = async () => {
    if (!navigator.onLine) return false;
    try {
      const response = await fetch("/healthz", { cache: "no-store" });
      return response.ok;
    } catch {
      return false;
    }
  };

  const FORMS = "form[method=post], form[method=POST]";

  // Links to pages this phone has not kept are dimmed: they need a connection.
  const markUnsaved = () => {
    if (!window.caches) return;
    document.querySelectorAll("main a[href^='/']").forEach((link) => {
      const url = new URL(link.getAttribute("href"), location.href);
      if (url.pathname.startsWith("/static/")) return;
      caches.match(url.href).then((saved) => {
        if (saved || !root.classList.contains("offline")) return;
        link.classList.add("offline-unsaved");
        link.title = body().offlineNeeds;
      });
    });
  };

  const goOffline = () => {
    if (root.classList.contains("offline")) return;
    root.classList.add("offline");
    const banner = document.getElementById("offline-banner");
    if (banner) {
      const saved = document.querySelector("meta[name='tripbot-page-time']");
      const text = banner.querySelector(".offline-text");
      if (text) text.textContent = say(body().offlineSaved, { when: saved ? when(saved.content) : "" });
      banner.hidden = false;
    }
    markUnsaved();
    document.querySelectorAll(FORMS).forEach((form) => {
      if (form.id === "language-form") return;
      form.querySelectorAll("button, input[type=submit]").forEach((button) => {
        if (!button.disabled) button.dataset.offlineDisabled = "true";
        button.disabled = true;
      });
      if (!form.querySelector(".offline-note")) {
        const note = document.createElement("p");
        note.className = "offline-note";
        note.textContent = body().offlineNeeds;
        form.append(note);
      }
    });
  };

  const goOnline = () => {
    if (!root.classList.contains("offline")) return;
    root.classList.remove("offline");
    const banner = document.getElementById("offline-banner");
    if (banner) banner.hidden = true;
    document.querySelectorAll("[data-offline-disabled]").forEach((button) => {
      button.disabled = false;
      delete button.dataset.offlineDisabled;
    });
    document.querySelectorAll(".offline-note").forEach((note) => note.remove());
    document.querySelectorAll(".offline-unsaved").forEach((link) => {
      link.classList.remove("offline-unsaved");
      link.removeAttribute("title");
    });
  };

  const check = async () => ((await reachable()) ? goOnline() : goOffline());

  // The event's pages, the plan's routes and one's own gear, fetched now and kept: the service
  // worker shows them when a later visit finds no signal.
  const savePack = async (element) => {
    const urls = JSON.parse(element.dataset.offlinePack);
    const cache = await caches.open(PAGES);
    const queue = [...urls];
    const done = new Set();
    while (queue.length) {
      const url = queue.shift();
      if (done.has(url)) continue;
      done.add(url);
      // Marked as kept for later, so the server leaves flash messages to the page being read.
      const headers = { [element.dataset.offlineHeader]: "1" };
      const response = await fetch(url, { credentials: "same-origin", headers });
      if (!response.ok || response.redirected) throw new Error(`${url}: ${response.status}`);
      await cache.put(new URL(url, location.href).href, response.clone());
      if (url === element.dataset.offlinePlan) {
        const html = new DOMParser().parseFromString(await response.text(), "text/html");
        html.querySelectorAll("a.plan-route-name").forEach((a) => queue.push(a.getAttribute("href")));
      }
    }
    const now = new Date().toISOString();
    try { localStorage.setItem(`tripbot.offline.${element.dataset.offlineEvent}`, now); } catch { /* private mode */ }
    element.querySelector(".offline-pack-text").textContent = say(element.dataset.savedText, { when: when(now), pages: String(done.size) });
    element.hidden = false;
    root.dataset.offlineSaved = element.dataset.offlineEvent;
  };

  document.addEventListener("DOMContentLoaded", () => {
    window.addEventListener("offline", goOffline);
    window.addEventListener("online", check);
    check();
    if (!("serviceWorker" in navigator) || !window.caches) return;
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
    const pack = document.querySelector("[data-offline-pack]");
    if (!pack) return;
    navigator.serviceWorker.ready
      .then(() => reachable())
      .then((online) => (online ? savePack(pack) : null))
      .catch(() => {
        pack.querySelector(".offline-pack-text").textContent = pack.dataset.failedText;
        pack.hidden = false;
      });
  });
})();
