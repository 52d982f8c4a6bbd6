// The outbox: a live countdown for messages in their undo window.
"use strict";

function tick() {
  let pending = false;
  document.querySelectorAll(".outbox-item.status-pending").forEach((item) => {
    const label = item.querySelector(".countdown");
    const seconds = Math.ceil((Date.parse(item.dataset.sendAt) - Date.now()) / 1000);
    if (seconds > 0 && seconds <= 3600 && label) {
      label.textContent = label.dataset.template.replace("{s}", String(seconds));
      pending = true;
    } else if (seconds <= 0) {
      window.setTimeout(() => window.location.reload(), 1500);
    } else {
      pending = true;
    }
  });
  if (pending) window.setTimeout(tick, 1000);
}
tick();
