// Inline images in rich text: a pasted or dropped image is uploaded and shown in place. The
// server sends it as a multipart/related part referenced by cid: (see app/mail/inline_images.py).
"use strict";

(() => {
  const form = document.getElementById("compose-form");
  const editor = document.getElementById("editor");
  if (!form || !editor) return;
  const csrf = form.querySelector("input[name=csrf_token]").value;
  const IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"];
  const status = document.getElementById("autosave-status");

  function imagesOf(transfer) {
    return Array.from((transfer && transfer.files) || []).filter((file) => IMAGE_TYPES.includes(file.type));
  }

  function rangeAt(event) {
    if (event && document.caretRangeFromPoint) {
      const range = document.caretRangeFromPoint(event.clientX, event.clientY);
      if (range && editor.contains(range.startContainer)) return range;
    }
    const selection = window.getSelection();
    if (selection.rangeCount && editor.contains(selection.getRangeAt(0).startContainer)) {
      return selection.getRangeAt(0);
    }
    const range = document.createRange();
    range.selectNodeContents(editor);
    range.collapse(false);
    return range;
  }

  async function insertImage(file, range) {
    // A placeholder holds the spot while the upload runs; the image replaces it.
    const placeholder = document.createElement("span");
    placeholder.className = "image-uploading";
    placeholder.textContent = "…";
    range.deleteContents();
    range.insertNode(placeholder);
    const data = new FormData();
    data.append("csrf_token", csrf);
    data.append("file", file, file.name || "image.png");
    try {
      const response = await fetch(form.dataset.uploadUrl, {
        method: "POST", body: data, headers: { "X-CSRF-Token": csrf },
      });
      const result = await response.json();
      if (!response.ok) throw new Error(result.error || response.statusText);
      const image = document.createElement("img");
      image.setAttribute("src", `${form.dataset.uploadUrl}/${result.id}/view`);
      image.setAttribute("alt", result.filename);
      placeholder.replaceWith(image);
      form.dispatchEvent(new Event("input", { bubbles: true }));
    } catch (error) {
      placeholder.remove();
      status.textContent = `${form.dataset.imageFailed} ${error.message}`;
    }
  }

  editor.addEventListener("paste", (event) => {
    const images = imagesOf(event.clipboardData);
    if (!images.length) return;
    event.preventDefault();
    images.forEach((file) => insertImage(file, rangeAt(null)));
  });
  editor.addEventListener("dragover", (event) => {
    if (Array.from(event.dataTransfer.types || []).includes("Files")) event.preventDefault();
  });
  editor.addEventListener("drop", (event) => {
    const files = Array.from((event.dataTransfer && event.dataTransfer.files) || []);
    if (!files.length) return;
    // Never let the browser open a dropped file (the page, and the message, would be gone).
    event.preventDefault();
    event.stopPropagation();
    const range = rangeAt(event);
    imagesOf(event.dataTransfer).forEach((file) => insertImage(file, range));
    const others = new DataTransfer();
    files.filter((file) => !IMAGE_TYPES.includes(file.type)).forEach((file) => others.items.add(file));
    if (others.files.length) {
      // Other files become ordinary attachments, as if dropped on the drop zone.
      document.getElementById("dropzone").dispatchEvent(
        new DragEvent("drop", { dataTransfer: others, bubbles: true, cancelable: true }));
    }
  });
})();
