// The "mark as read after N seconds" setting: the open message becomes read once it has been
// shown that long. Time spent in a hidden tab does not count; leaving the message (a full page
// load or an htmx swap of the main area) cancels it. Without this script the message stays
// unread, which is what the reader would expect from a setting they chose.
"use strict";

let article = null;
let remaining = 0;
let startedAt = 0;
let timer = null;

function pause() {
  if (timer === null) return;
  clearTimeout(timer);
  timer = null;
  remaining -= Date.now() - startedAt;
}

function resume() {
  if (!article || timer !== null || document.hidden) return;
  startedAt = Date.now();
  timer = setTimeout(markRead, Math.max(0, remaining));
}

function markRead() {
  timer = null;
  const shown = article;
  article = null;
  if (!shown || !shown.isConnected || !window.htmx) return;
  shown.removeAttribute("data-mark-read-after");
  window.htmx.ajax("POST", "/mail/-/seen", {
    source: shown,
    target: "#mail-folders",
    swap: "outerHTML",
    values: { folder: shown.dataset.folder, uid: shown.dataset.uid },
  });
}

function watch() {
  const found = document.querySelector(".message-view[data-mark-read-after]");
  if (found === article) return;
  pause();
  timer = null;
  article = found;
  if (!article) return;
  remaining = (parseInt(article.dataset.markReadAfter, 10) || 0) * 1000;
  resume();
}

document.addEventListener("visibilitychange", () => (document.hidden ? pause() : resume()));
document.addEventListener("htmx:afterSettle", watch);
watch();
