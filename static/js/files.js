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
  // Shift-click selects (or clears) the whole range from the previously clicked row.
  let anchor = null;
  boxes().forEach((box) => box.addEventListener("click", (event) => {
    const list = boxes();
    if (event.shiftKey && anchor !== null && list.includes(anchor)) {
      const [from, to] = [list.indexOf(anchor), list.indexOf(box)].sort((a, b) => a - b);
      list.slice(from, to + 1).forEach((item) => { item.checked = box.checked; mark(item); });
    }
    anchor = box;
  }));
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

// Large files go in chunks to an upload session; after a dropped connection the browser asks
// the server how much it holds and goes on from there (nothing is sent twice, nothing shows in
// the folder until the last byte is in).
const MAX_CHUNK_FAILURES = 8;

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function askServer(method, url, extraHeaders) {
  try {
    const response = await fetch(url, {
      method,
      headers: { "X-CSRF-Token": csrfToken(), ...(extraHeaders || {}) },
      credentials: "same-origin",
      cache: "no-store",
    });
    const body = response.headers.get("content-type")?.includes("json") ? await response.json() : {};
    return { status: response.status, body };
  } catch (error) {
    return { status: 0, body: {} };
  }
}

function sendChunk(id, offset, blob, onProgress) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/files/uploads/${id}?offset=${offset}`);
    xhr.setRequestHeader("X-CSRF-Token", csrfToken());
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.addEventListener("progress", (event) => onProgress(event.loaded));
    xhr.addEventListener("load", () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (error) { body = {}; }
      resolve({ status: xhr.status, body });
    });
    xhr.addEventListener("error", () => resolve({ status: 0, body: {} }));
    xhr.addEventListener("abort", () => resolve({ status: 0, body: {} }));
    xhr.send(blob);
  });
}

async function resumableUpload(target, path, file, row) {
  const bar = row.querySelector("progress");
  const show = (done) => { bar.value = Math.round((done / Math.max(file.size, 1)) * 100); };
  let offset = 0;
  if (row.dataset.uploadId) {
    const asked = await askServer("GET", `/files/uploads/${row.dataset.uploadId}`);
    if (asked.status === 200) offset = asked.body.offset;
    else delete row.dataset.uploadId;
  }
  if (!row.dataset.uploadId) {
    const query = new URLSearchParams({ s: target.space, p: target.path, name: path, size: String(file.size) });
    const made = await askServer("POST", `/files/uploads?${query}`, { "X-Upload-Type": file.type || "" });
    if (made.status !== 201) return made.status;
    row.dataset.uploadId = made.body.id;
  }
  const id = row.dataset.uploadId;
  let failures = 0;
  while (offset < file.size) {
    const end = Math.min(offset + target.chunk, file.size);
    const sent = await sendChunk(id, offset, file.slice(offset, end), (loaded) => show(offset + loaded));
    if (sent.status === 200 || (sent.status === 409 && typeof sent.body.offset === "number")) {
      offset = sent.body.offset;
      show(offset);
      if (sent.status === 200) failures = 0;
      continue;
    }
    if (sent.status === 404) { delete row.dataset.uploadId; return 404; }
    if (sent.status >= 400 && sent.status < 500 && sent.status !== 408 && sent.status !== 429) return sent.status;
    failures += 1;
    if (failures > MAX_CHUNK_FAILURES) return 0;
    await sleep(Math.min(250 * 2 ** failures, 8000));
    const asked = await askServer("GET", `/files/uploads/${id}`);
    if (asked.status === 404) { delete row.dataset.uploadId; return 404; }
    if (asked.status === 200) offset = asked.body.offset;
  }
  const done = await askServer("POST", `/files/uploads/${id}/complete?${new URLSearchParams({ s: target.space })}`);
  if (done.status === 200 || done.status === 409) delete row.dataset.uploadId;
  return done.status;
}

async function uploadWithRetry(target, path, file, row) {
  const status = row.querySelector(".status");
  const retry = row.querySelector(".retry");
  row.classList.remove("failed");
  retry.hidden = true;
  const resumable = target.chunk > 0 && file.size > target.chunk;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const code = resumable
      ? await resumableUpload(target, path, file, row)
      : await uploadOne(target.url, path, file, row);
    if (code === 200) { status.textContent = message("done"); return true; }
    if (code === 409) { status.textContent = message("conflict"); return true; }
    if (code === 423) { status.textContent = message("locked"); break; } // nothing was saved
    if (code === 413 || code === 507) { status.textContent = message("too-large"); break; }
    if (code >= 400 && code < 500 && code !== 404) break; // a refusal will not change by retrying
    await sleep(500 * attempt);
  }
  row.classList.add("failed");
  status.textContent = message("failed");
  retry.hidden = false;
  retry.onclick = () => uploadWithRetry(target, path, file, row).then(reloadWhenIdle);
  return false;
}

let pending = 0;
function reloadWhenIdle() {
  if (pending === 0 && !document.querySelector(".files-progress-row.failed")) window.location.reload();
}

async function uploadAll(form, items) {
  const list = document.querySelector("[data-progress]");
  const template = document.getElementById("files-progress-row");
  const target = {
    url: form.dataset.uploadUrl,
    space: form.dataset.space || "home",
    path: form.dataset.path || "",
    chunk: Number(form.dataset.chunkBytes || 0),
  };
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
      await uploadWithRetry(target, path, file, row);
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

// An image without a thumbnail (refused or broken) shows its file icon instead.
function setUpThumbnails() {
  document.querySelectorAll("img.files-thumb").forEach((img) => {
    const fallback = () => {
      img.closest("td")?.querySelector(".files-icon.has-thumb")?.classList.remove("has-thumb");
      img.closest("a")?.remove();
    };
    if (img.complete && img.naturalWidth === 0) fallback();
    else img.addEventListener("error", fallback);
  });
}

setUpSelection();
setUpUploads();
setUpThumbnails();
