// Keyboard triage for the review queue and live timers for the inbox. No inline script anywhere:
// the Content-Security-Policy allows scripts from /static only.
"use strict";

(function () {
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

  function items() {
    return Array.from(document.querySelectorAll("#queue article.signal"));
  }

  function selected() {
    return document.querySelector("#queue article.signal.selected");
  }

  function select(article) {
    const current = selected();
    if (current) current.classList.remove("selected");
    if (!article) return;
    article.classList.add("selected");
    article.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    const list = items();
    if (!list.length) return;
    const index = list.indexOf(selected());
    const next = index < 0 ? 0 : Math.min(list.length - 1, Math.max(0, index + step));
    select(list[next]);
  }

  async function decide(article, decision) {
    const form = article.querySelector(`form.decide[data-decision="${decision}"]`);
    if (!form) return;
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json", "X-CSRF-Token": csrf() },
      credentials: "same-origin",
    });
    if (!response.ok) {
      article.querySelector(".review-state").textContent = "error " + response.status;
      return;
    }
    article.dataset.review = decision;
    article.querySelector(".review-state").textContent = decision;
    article.classList.add("decided");
    move(1);
  }

  function onKey(event) {
    const target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target.closest && target.closest("input, select, textarea, button, summary")) return;
    if (!document.querySelector("#queue")) return;
    const article = selected();
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "a": if (article) decide(article, "accept"); break;
      case "r": if (article) decide(article, "reject"); break;
      case "e":
        if (article) {
          const details = article.querySelector("details.relabel");
          details.open = true;
          details.querySelector("select").focus();
        }
        break;
      case "o": if (article) window.location = article.querySelector("a.title").href; break;
      default: return;
    }
    event.preventDefault();
  }

  function pad(n) { return String(n).padStart(2, "0"); }

  function tick() {
    const now = Date.now();
    document.querySelectorAll(".timer[data-deadline]").forEach((timer) => {
      const left = (Date.parse(timer.dataset.deadline) - now) / 1000;
      const minutes = Math.floor(Math.abs(left) / 60);
      const days = Math.floor(minutes / 1440);
      const hours = Math.floor((minutes % 1440) / 60);
      const text = days ? `${days}d ${hours}h` : `${hours}h ${pad(minutes % 60)}m`;
      timer.textContent = left < 0 ? `overdue by ${text}` : `due in ${text}`;
      timer.classList.toggle("overdue", left < 0);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.addEventListener("keydown", onKey);
    if (items().length) select(items()[0]);
    if (document.querySelector(".timer[data-deadline]")) {
      tick();
      setInterval(tick, 30000);
    }
  });
})();
