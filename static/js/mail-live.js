// Live updates: the server streams folder changes (IMAP IDLE -> Server-Sent Events).
// New mail refreshes the list in place (unless messages are selected) and the unread count
// of the inbox is kept in the tab title. htmx navigation may show another folder (or a
// message): the stream follows the folder on screen.
"use strict";

let source = null;
let watched = null;

function setTitleCount(count) {
  const base = document.title.replace(/^\(\d+\)\s*/, "");
  document.title = (count > 0 ? `(${count}) ` : "") + base;
}

function titleCount() {
  const match = document.title.match(/^\((\d+)\)/);
  return match ? parseInt(match[1], 10) : 0;
}

async function refresh() {
  if (document.querySelector("input[name=uid]:checked")) return; // do not disturb a selection
  const shown = location.href;
  const response = await fetch(shown, { credentials: "same-origin" });
  if (!response.ok) return;
  const text = await response.text();
  // htmx navigation meanwhile showed another page: this answer is about the one left behind.
  if (location.href !== shown || document.querySelector("input[name=uid]:checked")) return;
  const fresh = new DOMParser().parseFromString(text, "text/html");
  for (const selector of [".message-list-form", ".mail-folders", ".list-header", ".pager"]) {
    const now = document.querySelector(selector);
    const next = fresh.querySelector(selector);
    if (now && next) now.replaceWith(next);
  }
  if (window.htmx) window.htmx.process(document.querySelector(".mail-layout"));
}

function follow() {
  const main = document.querySelector(".mail-main[data-live-folder]");
  const folder = main && window.EventSource ? main.dataset.liveFolder : null;
  if (folder === watched) return;
  if (source) source.close();
  source = null;
  watched = folder;
  if (!folder) return;
  source = new EventSource("/mail/-/events?folder=" + encodeURIComponent(folder));
  // The stream starts watching after the page was made: mail that came in between shows as
  // a different unread count in the stream's first event, so the list is fetched again.
  let first = true;
  source.addEventListener("unread", (event) => {
    const count = parseInt(event.data, 10) || 0;
    if (first && count !== titleCount()) refresh();
    first = false;
    setTitleCount(count);
  });
  source.addEventListener("changed", refresh);
}

document.addEventListener("htmx:afterSettle", follow);
document.addEventListener("htmx:historyRestore", follow);
follow();
