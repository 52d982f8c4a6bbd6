// The outbox: a live countdown for messages in their undo window; once one is due or on its
// way, the page reloads itself until the server says how it went.
"use strict";

const RELOAD_DELAY_MS = 1500;

function tick() {
  let counting = false;
  let settling = document.querySelector(".outbox-item.status-sending") !== null;
  document.querySelectorAll(".outbox-item.status-pending").forEach((item) => {
    const label = item.querySelector(".countdown");
    const seconds = Math.ceil((Date.parse(item.dataset.sendAt) - Date.now()) / 1000);
    if (seconds > 0 && seconds <= 3600 && label) {
      label.textContent = label.dataset.template.replace("{s}", String(seconds));
      counting = true;
    } else if (seconds <= 0) {
      settling = true;
    } else {
      counting = true;
    }
  });
  if (settling) {
    window.setTimeout(() => window.location.reload(), RELOAD_DELAY_MS);
  } else if (counting) {
    window.setTimeout(tick, 1000);
  }
}
tick();
