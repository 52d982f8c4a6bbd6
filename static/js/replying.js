// "bob is replying" on role mailbox messages (app/mail/presence.py).
// On the compose page (a reply or forward of a shared message): renew our presence while the
// page is open, clear it when the page goes away (send, discard, close).
// On the mail page: show who is replying on the open message and mark rows of the list.
"use strict";

const beat = document.getElementById("replying-heartbeat");
if (beat) {
  let period = 15000;
  let timer = null;
  let leaving = false; // the page went away: no renewal may start or run after the "off"
  let pending = null; // the "on" beat under way, if any

  // Resolves to whether the message is in a role mailbox we work (null when unknown).
  const send = async (state, keepalive) => {
    try {
      const response = await fetch(beat.dataset.url, {
        method: "POST", keepalive, credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRF-Token": beat.dataset.csrf },
        body: new URLSearchParams({ folder: beat.dataset.folder, uid: beat.dataset.uid, state }),
      });
      const result = response.ok ? await response.json() : {};
      if (result.renew_seconds) period = result.renew_seconds * 1000;
      return result.shared ?? null;
    } catch (error) {
      return null; // offline for a moment: the next beat renews, the server expires us otherwise
    }
  };
  const renew = () => {
    if (leaving) return Promise.resolve(null);
    const beating = send("on", false);
    pending = beating;
    beating.then((shared) => {
      if (pending === beating) pending = null;
      if (shared === false) window.clearInterval(timer); // not a role mailbox we work
    });
    return beating;
  };
  const start = async () => {
    leaving = false;
    const shared = await renew();
    window.clearInterval(timer);
    if (leaving || shared === false) return;
    timer = window.setInterval(renew, period);
  };
  start();
  window.addEventListener("pagehide", () => {
    leaving = true;
    window.clearInterval(timer);
    // A beacon outlives the page more reliably than a fetch; it carries the token as a field.
    const body = new URLSearchParams({
      csrf_token: beat.dataset.csrf, folder: beat.dataset.folder, uid: beat.dataset.uid, state: "off",
    });
    if (!navigator.sendBeacon || !navigator.sendBeacon(beat.dataset.url, body)) send("off", true);
    // An "on" still under way may reach the server after the "off": say "off" once more after it.
    if (pending) pending.then(() => send("off", true));
  });
  window.addEventListener("pageshow", (event) => { if (event.persisted) start(); });
}

// The mail page swaps its main area with htmx: re-read the notice after every swap, one timer.
let refreshTimer = null;
const watchReplying = () => {
  window.clearInterval(refreshTimer);
  const notice = document.getElementById("replying-notice");
  if (!notice) return;
  const uid = notice.dataset.uid;
  const subject = document.querySelector(".message-subject");
  if (uid && subject) subject.after(notice);
  const label = (names) => notice.dataset.label.replace("{name}", names.join(", "));
  const url = `${notice.dataset.url}?folder=${encodeURIComponent(notice.dataset.folder)}`;

  const show = (replying) => {
    if (uid) {
      const names = replying[uid];
      notice.hidden = !names;
      notice.textContent = names ? label(names) : "";
    }
    document.querySelectorAll(".message-row[data-uid]").forEach((row) => {
      const names = replying[row.dataset.uid];
      let mark = row.querySelector(".replying-mark");
      if (!names) {
        if (mark) mark.remove();
        return;
      }
      if (!mark) {
        mark = document.createElement("span");
        mark.className = "replying-mark notice";
        const cell = row.querySelector(".subject") || row;
        cell.append(" ", mark);
      }
      mark.textContent = label(names);
    });
  };

  const refresh = async () => {
    if (document.visibilityState === "hidden") return;
    try {
      const response = await fetch(url, {
        credentials: "same-origin", headers: { "Accept": "application/json" },
      });
      if (response.ok) show((await response.json()).replying || {});
    } catch (error) {
      // The next refresh tries again.
    }
  };
  refresh();
  refreshTimer = window.setInterval(refresh, 5000);
};
watchReplying();
document.addEventListener("htmx:afterSettle", watchReplying);
