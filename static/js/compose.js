// The compose page: rich/plain editor, attachments with progress, autosave, Ctrl+Enter to send.
"use strict";

const form = document.getElementById("compose-form");
if (form) {
  const editor = document.getElementById("editor");
  const source = document.getElementById("html");
  const plain = document.getElementById("text");
  const richFlag = document.getElementById("rich-flag");
  const status = document.getElementById("autosave-status");
  const csrf = form.querySelector("input[name=csrf_token]").value;
  let dirty = false;
  let saving = false;

  function setMode(mode) {
    form.classList.toggle("mode-rich", mode === "rich");
    form.classList.toggle("mode-plain", mode === "plain");
    richFlag.value = mode === "rich" ? "1" : "0";
  }

  function syncEditor() {
    if (richFlag.value === "1") source.value = editor.innerHTML;
  }

  function escapeHtml(text) {
    const div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  setMode(richFlag.dataset.initial === "plain" ? "plain" : "rich");
  form.classList.add("enhanced");

  form.querySelectorAll(".mode-switch").forEach((button) => {
    button.addEventListener("click", () => {
      if (button.dataset.mode === "plain") {
        plain.value = editor.innerText;
      } else {
        editor.innerHTML = plain.value.split("\n").map((line) => `<p>${escapeHtml(line) || "<br>"}</p>`).join("");
      }
      setMode(button.dataset.mode);
      changed();
    });
  });

  form.querySelectorAll("[data-command]").forEach((button) => {
    button.addEventListener("click", () => {
      editor.focus();
      let value = null;
      if (button.dataset.command === "createLink") {
        value = window.prompt(button.dataset.prompt || "URL", "https://");
        if (!value || !/^(https?:|mailto:)/i.test(value)) return;
      }
      document.execCommand(button.dataset.command, false, value);
      changed();
    });
  });

  // "Draft saved" is true only until the next change.
  function changed() {
    dirty = true;
    if (status.textContent === status.dataset.saved) status.textContent = "";
  }

  form.addEventListener("input", changed);
  form.addEventListener("submit", syncEditor);
  form.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      event.preventDefault();
      document.getElementById("send-button").click();
    }
  });

  // Switching the From identity swaps in that identity's signature.
  const identity = document.getElementById("identity");
  const signatures = JSON.parse(form.dataset.signatures || "{}");
  if (identity && identity.tagName === "SELECT") {
    identity.addEventListener("change", () => {
      const markup = signatures[identity.value] || "";
      let block = editor.querySelector(".signature");
      if (!markup) { if (block) block.remove(); return; }
      if (!block) {
        block = document.createElement("div");
        block.className = "signature";
        editor.append(block);
      }
      // Server-sanitized HTML (nh3) from our own page, not user input from elsewhere.
      block.innerHTML = `-- <br>${markup}`;
      changed();
    });
  }

  // Autosave: every few seconds while typing, and when the page is left.
  async function autosave(keepalive) {
    if (!dirty || saving) return;
    saving = true;
    dirty = false;
    syncEditor();
    const data = new FormData(form);
    data.set("action", "save");
    try {
      const response = await fetch(form.getAttribute("action"), {
        method: "POST", body: new URLSearchParams(data), keepalive,
        headers: { "Accept": "application/json", "X-CSRF-Token": csrf },
      });
      const result = await response.json();
      if (!response.ok) throw new Error(result.error || response.statusText);
      form.querySelector("input[name=draft_uid]").value = result.draft_uid ?? "";
      // Changes made while this save was on its way are not in it: they wait for the next.
      status.textContent = dirty ? "" : status.dataset.saved;
    } catch (error) {
      dirty = true;
      status.textContent = error.message && error.message !== "Failed to fetch"
        ? `${status.dataset.failed} ${error.message}` : status.dataset.failed;
    } finally {
      saving = false;
    }
  }
  window.setInterval(() => autosave(false), 5000);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") autosave(true);
  });

  // Attachments: drag and drop or the picker, several at once, each with a progress bar.
  const list = document.getElementById("attachment-list");
  const dropzone = document.getElementById("dropzone");
  const picker = document.getElementById("file-picker");

  function addRow(file) {
    const item = document.createElement("li");
    item.className = "attachment uploading";
    const name = document.createElement("bdi");
    name.className = "attachment-name";
    name.textContent = file.name;
    const progress = document.createElement("progress");
    progress.max = 100;
    progress.value = 0;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "link-button remove-attachment";
    remove.textContent = "✕";
    item.append(name, progress, remove);
    list.append(item);
    return item;
  }

  function upload(file) {
    const item = addRow(file);
    const progress = item.querySelector("progress");
    const data = new FormData();
    data.append("csrf_token", csrf);
    data.append("file", file);
    const request = new XMLHttpRequest();
    request.open("POST", form.dataset.uploadUrl);
    request.setRequestHeader("X-CSRF-Token", csrf);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) progress.value = (event.loaded / event.total) * 100;
    });
    request.addEventListener("load", () => {
      let result = {};
      try { result = JSON.parse(request.responseText); } catch (error) { result = {}; }
      if (request.status !== 200) {
        item.classList.add("failed");
        progress.replaceWith(Object.assign(document.createElement("span"), {
          className: "attachment-error", textContent: result.error || request.statusText,
        }));
        return;
      }
      item.classList.remove("uploading");
      item.dataset.id = result.id;
      const hidden = Object.assign(document.createElement("input"), {
        type: "hidden", name: "attachment_ids", value: result.id,
      });
      const size = Object.assign(document.createElement("span"), {
        className: "muted attachment-size", textContent: `${(result.size / 1024).toFixed(1)} KB`,
      });
      progress.replaceWith(size);
      item.prepend(hidden);
      changed();
    });
    request.addEventListener("error", () => item.classList.add("failed"));
    request.send(data);
  }

  picker.addEventListener("change", () => {
    Array.from(picker.files).forEach(upload);
    picker.value = "";
  });
  ["dragenter", "dragover"].forEach((type) => dropzone.addEventListener(type, (event) => {
    event.preventDefault();
    dropzone.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((type) => dropzone.addEventListener(type, () => {
    dropzone.classList.remove("over");
  }));
  dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    Array.from(event.dataTransfer.files).forEach(upload);
  });
  list.addEventListener("click", async (event) => {
    const button = event.target.closest(".remove-attachment");
    if (!button) return;
    const item = button.closest(".attachment");
    if (item.dataset.id) {
      await fetch(`${form.dataset.uploadUrl}/${item.dataset.id}/delete`, {
        method: "POST", headers: { "X-CSRF-Token": csrf },
      });
    }
    item.remove();
    changed();
  });
}
