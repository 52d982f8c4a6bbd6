// Attach from Files: search the user's spaces and copy a file into the message's attachments.
"use strict";

(() => {
  const form = document.getElementById("compose-form");
  const panel = document.getElementById("files-picker");
  const opener = document.getElementById("files-open");
  if (!form || !panel || !opener) return;
  const csrf = form.querySelector("input[name=csrf_token]").value;
  const query = document.getElementById("files-query");
  const results = document.getElementById("files-results");
  const list = document.getElementById("attachment-list");
  let timer = null;

  opener.addEventListener("click", () => {
    panel.hidden = !panel.hidden;
    opener.setAttribute("aria-expanded", String(!panel.hidden));
    if (!panel.hidden) query.focus();
  });

  function attachedRow(upload) {
    const item = document.createElement("li");
    item.className = "attachment";
    item.dataset.id = upload.id;
    const hidden = Object.assign(document.createElement("input"), {
      type: "hidden", name: "attachment_ids", value: upload.id,
    });
    const name = Object.assign(document.createElement("bdi"), {
      className: "attachment-name", textContent: upload.filename,
    });
    const size = Object.assign(document.createElement("span"), {
      className: "muted attachment-size", textContent: `${(upload.size / 1024).toFixed(1)} KB`,
    });
    const remove = Object.assign(document.createElement("button"), {
      type: "button", className: "link-button remove-attachment", textContent: "✕",
    });
    item.append(hidden, name, size, remove);
    return item;
  }

  async function attach(file, button) {
    button.disabled = true;
    const body = new URLSearchParams({ csrf_token: csrf, mount: file.mount, node_id: String(file.node_id) });
    const response = await fetch(panel.dataset.url, {
      method: "POST", body, headers: { "Accept": "application/json", "X-CSRF-Token": csrf },
    });
    const result = await response.json();
    if (!response.ok) {
      button.replaceWith(Object.assign(document.createElement("span"), {
        className: "attachment-error", textContent: result.error || response.statusText,
      }));
      return;
    }
    list.append(attachedRow(result));
    button.textContent = "✓";
    form.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function row(file) {
    const item = document.createElement("li");
    const path = Object.assign(document.createElement("bdi"), { textContent: file.path });
    const size = Object.assign(document.createElement("span"), { className: "muted", textContent: ` ${file.size_label} ` });
    item.append(path, size);
    if (file.too_large) {
      item.append(Object.assign(document.createElement("span"), {
        className: "attachment-error", textContent: panel.dataset.tooLarge,
      }));
    } else {
      const button = Object.assign(document.createElement("button"), {
        type: "button", className: "button attach-file", textContent: panel.dataset.attach,
      });
      button.addEventListener("click", () => attach(file, button));
      item.append(button);
    }
    return item;
  }

  async function search() {
    const text = query.value.trim();
    if (!text) { results.replaceChildren(); return; }
    const response = await fetch(`${panel.dataset.url}?q=${encodeURIComponent(text)}`, {
      headers: { "Accept": "application/json" },
    });
    if (!response.ok) return;
    const files = await response.json();
    results.replaceChildren(...(files.length ? files.map(row)
      : [Object.assign(document.createElement("li"), { className: "muted", textContent: panel.dataset.none })]));
  }

  query.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(search, 200);
  });
  query.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault();  // never submit the message from here
  });
})();
