// Live updates: the server streams folder changes (IMAP IDLE -> Server-Sent Events).
// New mail refreshes the list in place (unless messages are selected) and the unread count
// of the inbox is kept in the tab title.
"use strict";

const main = document.querySelector(".mail-main[data-live-folder]");
if (main && window.EventSource) {
  const folder = main.dataset.liveFolder;
  const source = new EventSource("/mail/-/events?folder=" + encodeURIComponent(folder));
  const baseTitle = document.title.replace(/^\(\d+\)\s*/, "");

  source.addEventListener("unread", (event) => {
    const count = parseInt(event.data, 10) || 0;
    document.title = (count > 0 ? `(${count}) ` : "") + baseTitle;
  });

  source.addEventListener("changed", async () => {
    if (document.querySelector("input[name=uid]:checked")) return; // do not disturb a selection
    const response = await fetch(location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const selector of [".message-list-form", ".mail-folders", ".list-header", ".pager"]) {
      const now = document.querySelector(selector);
      const next = fresh.querySelector(selector);
      if (now && next) now.replaceWith(next);
    }
  });
}
