// Mail list enhancements: select all, shift-click ranges, keyboard shortcuts. Works without it.
"use strict";

const rows = () => Array.from(document.querySelectorAll("tr.message-row"));
let lastChecked = null;

document.addEventListener("change", (event) => {
  const box = event.target;
  if (box.classList && box.classList.contains("select-all")) {
    document.querySelectorAll("input[name=uid]").forEach((b) => { b.checked = box.checked; });
  }
});

document.addEventListener("click", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || box.name !== "uid") return;
  const boxes = Array.from(document.querySelectorAll("input[name=uid]"));
  if (event.shiftKey && lastChecked && lastChecked.isConnected) {
    const [a, b] = [boxes.indexOf(lastChecked), boxes.indexOf(box)].sort((x, y) => x - y);
    boxes.slice(a, b + 1).forEach((b2) => { b2.checked = box.checked; });
  }
  lastChecked = box;
});

// The keyboard cursor is the row marked selected-row: a list swapped in by htmx (or refreshed
// by live updates) has none, so the cursor starts again on it, whenever the keys come.
function cursorIn(list) {
  return list.findIndex((row) => row.classList.contains("selected-row"));
}

function moveCursor(step) {
  const list = rows();
  if (!list.length) return;
  const cursor = cursorIn(list);
  if (cursor >= 0) list[cursor].classList.remove("selected-row");
  const next = Math.max(0, Math.min(list.length - 1, cursor + step));
  list[next].classList.add("selected-row");
  list[next].scrollIntoView({ block: "nearest" });
}

function act(action) {
  const form = document.querySelector("form.message-list-form");
  if (!form) return;
  const list = rows();
  const cursor = cursorIn(list);
  if (!form.querySelector("input[name=uid]:checked") && cursor >= 0) {
    list[cursor].querySelector("input[name=uid]").checked = true;
  }
  const button = form.querySelector(`button[value="${action}"]`);
  if (button) button.click();
}

let pendingG = false;

function toggleHelp() {
  const help = document.getElementById("shortcut-help");
  if (help) help.hidden = !help.hidden;
}

// A link swapped in a moment ago is taken over by htmx only when the swap settles (about 20 ms
// later); a shortcut pressed meanwhile would load the whole page. Process it first.
const followLink = (link) => {
  if (window.htmx) window.htmx.process(link);
  link.click();
};

document.addEventListener("keydown", (event) => {
  const target = event.target;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return;
  const list = rows();
  if (pendingG) {
    pendingG = false;
    if (event.key === "i") { location.href = "/mail/INBOX"; return; }
  }
  switch (event.key) {
    case "g": pendingG = true; break;
    case "?": toggleHelp(); break;
    case "Escape": { const help = document.getElementById("shortcut-help"); if (help) help.hidden = true; break; }
    case "n": { const older = document.querySelector(".message-nav .older-link"); if (older) followLink(older); break; }
    case "p": { const newer = document.querySelector(".message-nav .newer-link"); if (newer) followLink(newer); break; }
    case "j": moveCursor(1); break;
    case "k": moveCursor(-1); break;
    case "o": case "Enter": {
      const cursor = cursorIn(list);
      const link = cursor >= 0 && list[cursor].querySelector(".subject a");
      if (link) followLink(link);
      break;
    }
    case "/": {
      const box = document.querySelector(".mail-search input[type=search]");
      if (box) { event.preventDefault(); box.focus(); }
      break;
    }
    case "e": act("archive"); break;
    case "#": act("delete"); break;
    case "s": act("flag"); break;
    case "u": {
      const back = document.querySelector(".message-nav .back-link");
      if (back) followLink(back);
      break;
    }
    default: return;
  }
});

// Drag messages onto a folder in the sidebar to move them (the selection, or the dragged row).
document.addEventListener("dragstart", (event) => {
  const row = event.target.closest && event.target.closest("tr.message-row");
  if (!row) return;
  const box = row.querySelector("input[name=uid]");
  if (box && !box.checked) {
    document.querySelectorAll("input[name=uid]:checked").forEach((b) => { b.checked = false; });
    box.checked = true;
  }
  event.dataTransfer.setData("text/x-hamkar-move", "1");
  event.dataTransfer.effectAllowed = "move";
});

document.addEventListener("dragover", (event) => {
  const link = event.target.closest && event.target.closest(".mail-folders a[data-folder]");
  if (link && event.dataTransfer.types.includes("text/x-hamkar-move")) {
    event.preventDefault();
    link.classList.add("drop-target");
  }
});

document.addEventListener("dragleave", (event) => {
  const link = event.target.closest && event.target.closest(".mail-folders a[data-folder]");
  if (link) link.classList.remove("drop-target");
});

document.addEventListener("drop", (event) => {
  const link = event.target.closest && event.target.closest(".mail-folders a[data-folder]");
  const form = document.querySelector("form.message-list-form");
  if (!link || !form) return;
  event.preventDefault();
  const select = form.querySelector("select[name=target]");
  const wanted = link.dataset.folder;
  if (!select || !Array.from(select.options).some((o) => o.value === wanted)) return;
  select.value = wanted;
  form.querySelector('button[value="move"]').click();
});

// htmx navigation swaps the main area: the shift-click anchor belonged to the old list.
document.addEventListener("htmx:afterSwap", () => {
  lastChecked = null;
});

// A link whose page answers with an error (a message deleted meanwhile, the server down):
// load it as a full page, which shows the error in the app's usual way.
document.addEventListener("htmx:beforeSwap", (event) => {
  const detail = event.detail;
  if (detail.xhr.status >= 400 && detail.requestConfig && detail.requestConfig.verb === "get") {
    detail.shouldSwap = false;
    window.location.assign(detail.xhr.responseURL || detail.pathInfo.requestPath);
  }
});
