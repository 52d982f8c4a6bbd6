// Group chips: a directory group among the recipients shows as a chip that expands into its
// members (nested groups become chips in turn).
"use strict";

(() => {
  const form = document.getElementById("compose-form");
  if (!form) return;

  function splitRecipients(value) {
    // Commas and semicolons separate recipients, except inside quotes or angle brackets.
    const parts = [];
    let current = "";
    let quoted = false;
    let angle = false;
    for (const char of value) {
      if (char === "\"" && !angle) quoted = !quoted;
      else if (char === "<" && !quoted) angle = true;
      else if (char === ">" && !quoted) angle = false;
      if ((char === "," || char === ";") && !quoted && !angle) { parts.push(current); current = ""; }
      else current += char;
    }
    parts.push(current);
    return parts.map((part) => part.trim()).filter(Boolean);
  }

  function addressOf(entry) {
    const match = entry.match(/<([^<>]+)>\s*$/);
    return (match ? match[1] : entry).trim().toLowerCase();
  }

  function expand(input, group) {
    const kept = splitRecipients(input.value).filter((entry) => addressOf(entry) !== group.address);
    const present = new Set(kept.map(addressOf));
    group.members.forEach((member) => {
      if (!present.has(member.address)) { kept.push(member.label); present.add(member.address); }
    });
    input.value = kept.length ? `${kept.join(", ")}, ` : "";
    form.dispatchEvent(new Event("input", { bubbles: true }));
    refresh(input);
  }

  function chip(input, group) {
    const item = document.createElement("span");
    item.className = "chip group-chip";
    item.dataset.address = group.address;
    const name = Object.assign(document.createElement("bdi"), { textContent: group.name || group.address });
    const kind = Object.assign(document.createElement("span"), {
      className: "muted", textContent: ` (${form.dataset.groupLabel}, ${group.members.length}) `,
    });
    const button = Object.assign(document.createElement("button"), {
      type: "button", className: "link-button expand-group", textContent: form.dataset.expandLabel,
    });
    button.setAttribute("aria-label", `${form.dataset.expandLabel}: ${group.name || group.address}`);
    button.addEventListener("click", () => expand(input, group));
    item.append(name, kind, button);
    return item;
  }

  async function refresh(input) {
    const box = document.getElementById(`${input.id}-groups`);
    const value = input.value;
    if (!value.includes("@")) { delete box.dataset.shown; box.replaceChildren(); return; }
    const response = await fetch(`${form.dataset.groupsUrl}?addresses=${encodeURIComponent(value)}`, {
      headers: { "Accept": "application/json" },
    });
    if (!response.ok || input.value !== value) return;
    const groups = await response.json();
    if (input.value !== value) return;
    // Rebuild only when the groups changed: a chip being clicked must not be swapped away.
    const shown = JSON.stringify(groups);
    if (box.dataset.shown === shown && box.childElementCount === groups.length) return;
    box.dataset.shown = shown;
    box.replaceChildren(...groups.map((group) => chip(input, group)));
  }

  ["to", "cc", "bcc"].forEach((id) => {
    const input = document.getElementById(id);
    if (!input) return;
    let timer = null;
    input.addEventListener("input", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => refresh(input), 400);
    });
    input.addEventListener("change", () => refresh(input));
    if (input.value) refresh(input);
  });
})();
