// The file browser: selection, drag-and-drop uploads of files and folders with progress and
// retry. Without JavaScript the page still works through its plain forms.
"use strict";

const MAX_ATTEMPTS = 3;

function csrfToken() {
  const input = document.querySelector('input[name="csrf_token"]');
  return input ? input.value : "";
}

function message(name) {
  const el = document.querySelector(`[data-msg-${name}]`);
  return el ? el.textContent : name;
}

function setUpSelection() {
  const all = document.querySelector("[data-select-all]");
  const boxes = () => Array.from(document.querySelectorAll("[data-ids]"));
  const mark = (box) => box.closest("tr")?.classList.toggle("is-selected", box.checked);
  if (all) {
    all.addEventListener("change", () => boxes().forEach((box) => { box.checked = all.checked; mark(box); }));
  }
  boxes().forEach((box) => box.addEventListener("change", () => mark(box)));
}

// Walk a dropped folder (webkitGetAsEntry) and collect [relativePath, File] pairs.
async function collectEntry(entry, prefix, out) {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    out.push([prefix + file.name, file]);
    return;
  }
  const reader = entry.createReader();
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    for (const child of batch) await collectEntry(child, `${prefix}${entry.name}/`, out);
  }
}

async function droppedFiles(dataTransfer) {
  const out = [];
  const entries = Array.from(dataTransfer.items || [])
    .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null))
    .filter(Boolean);
  if (entries.length) {
    for (const entry of entries) await collectEntry(entry, "", out);
    return out;
  }
  return Array.from(dataTransfer.files).map((file) => [file.name, file]);
}

function uploadOne(url, path, file, row) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${url}&name=${encodeURIComponent(path)}`);
    xhr.setRequestHeader("X-CSRF-Token", csrfToken());
    xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    const bar = row.querySelector("progress");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) bar.value = Math.round((event.loaded / event.total) * 100);
    });
    xhr.addEventListener("load", () => resolve(xhr.status));
    xhr.addEventListener("error", () => resolve(0));
    xhr.addEventListener("abort", () => resolve(0));
    xhr.send(file);
  });
}

async function uploadWithRetry(url, path, file, row) {
  const status = row.querySelector(".status");
  const retry = row.querySelector(".retry");
  row.classList.remove("failed");
  retry.hidden = true;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const code = await uploadOne(url, path, file, row);
    if (code === 200) { status.textContent = message("done"); return true; }
    if (code === 409) { status.textContent = message("conflict"); return true; }
    if (code === 413 || code === 507) { status.textContent = message("too-large"); break; }
    if (code >= 400 && code < 500) break; // a refusal will not change by retrying
    await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
  }
  row.classList.add("failed");
  status.textContent = message("failed");
  retry.hidden = false;
  retry.onclick = () => uploadWithRetry(url, path, file, row).then(reloadWhenIdle);
  return false;
}

let pending = 0;
function reloadWhenIdle() {
  if (pending === 0 && !document.querySelector(".files-progress-row.failed")) window.location.reload();
}

async function uploadAll(form, items) {
  const list = document.querySelector("[data-progress]");
  const template = document.getElementById("files-progress-row");
  const url = form.dataset.uploadUrl;
  pending += items.length;
  const jobs = items.map(([path, file]) => {
    const row = template.content.firstElementChild.cloneNode(true);
    row.querySelector(".name").textContent = path;
    list.append(row);
    return [path, file, row];
  });
  // Three at a time: fast on many small files, gentle on the server.
  const queue = jobs.slice();
  const worker = async () => {
    while (queue.length) {
      const [path, file, row] = queue.shift();
      await uploadWithRetry(url, path, file, row);
      pending -= 1;
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  reloadWhenIdle();
}

function setUpUploads() {
  const form = document.querySelector(".files-upload-form");
  if (!form) return;
  const zone = document.querySelector("[data-dropzone]");
  zone.hidden = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = form.querySelector('input[type="file"]');
    uploadAll(form, Array.from(input.files).map((file) => [file.webkitRelativePath || file.name, file]));
    input.value = "";
  });
  // Folders keep their structure: each file is sent with its path inside the chosen folder.
  const folderInput = form.querySelector("[data-folder-input]");
  const folderLabel = form.querySelector("[data-folder-picker]");
  if (folderInput && folderLabel) {
    folderLabel.hidden = false;
    folderInput.addEventListener("change", () => {
      uploadAll(form, Array.from(folderInput.files).map((file) => [file.webkitRelativePath || file.name, file]));
      folderInput.value = "";
    });
  }
  document.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("is-over"); });
  document.addEventListener("dragleave", (event) => {
    if (!event.relatedTarget) zone.classList.remove("is-over");
  });
  document.addEventListener("drop", async (event) => {
    event.preventDefault();
    zone.classList.remove("is-over");
    uploadAll(form, await droppedFiles(event.dataTransfer));
  });
}

setUpSelection();
setUpUploads();
