// Recipient autocomplete for To/Cc/Bcc: recently used addresses and the organization's list.
"use strict";

function attachAutocomplete(input) {
  const list = document.createElement("ul");
  list.className = "suggestions";
  list.setAttribute("role", "listbox");
  list.id = `${input.id}-suggestions`;
  list.hidden = true;
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.after(list);
  let active = -1;
  let timer = null;
  let items = [];
  let asked = 0; // the newest search: an older answer arriving late must not reopen the list

  function lastToken() {
    const parts = input.value.split(/[,;]/);
    return parts[parts.length - 1].trim();
  }

  function close() {
    asked += 1;
    window.clearTimeout(timer);
    list.hidden = true;
    active = -1;
    input.removeAttribute("aria-activedescendant");
  }

  function choose(index) {
    const item = items[index];
    if (!item) return;
    const parts = input.value.split(/[,;]/);
    parts[parts.length - 1] = ` ${item.label}`;
    input.value = `${parts.join(",").replace(/^\s+/, "")}, `;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    close();
    input.focus();
  }

  function highlight(index) {
    list.querySelectorAll("li").forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
    active = index;
    if (index >= 0) input.setAttribute("aria-activedescendant", `${list.id}-${index}`);
  }

  async function search() {
    const query = lastToken();
    if (query.length < 2) { close(); return; }
    const ticket = ++asked;
    const response = await fetch(`/mail/compose/recipients?q=${encodeURIComponent(query)}`, {
      headers: { "Accept": "application/json" },
    });
    if (ticket !== asked) return;
    if (!response.ok) { close(); return; }
    const found = await response.json();
    if (ticket !== asked) return;
    items = found;
    list.replaceChildren(...items.map((item, index) => {
      const li = document.createElement("li");
      li.id = `${list.id}-${index}`;
      li.setAttribute("role", "option");
      const name = document.createElement("bdi");
      name.textContent = item.name || item.address;
      const address = document.createElement("span");
      address.className = "muted";
      address.textContent = item.name ? ` ${item.address}` : "";
      li.append(name, address);
      li.addEventListener("mousedown", (event) => { event.preventDefault(); choose(index); });
      return li;
    }));
    list.hidden = items.length === 0;
    highlight(items.length ? 0 : -1);
  }

  input.addEventListener("input", (event) => {
    if (event.isTrusted === false && list.hidden) return;
    window.clearTimeout(timer);
    timer = window.setTimeout(search, 150);
  });
  input.addEventListener("keydown", (event) => {
    if (list.hidden) return;
    if (event.key === "ArrowDown") { event.preventDefault(); highlight(Math.min(active + 1, items.length - 1)); }
    else if (event.key === "ArrowUp") { event.preventDefault(); highlight(Math.max(active - 1, 0)); }
    else if (event.key === "Enter" || event.key === "Tab") {
      if (active >= 0) { event.preventDefault(); choose(active); }
    } else if (event.key === "Escape") { close(); }
  });
  input.addEventListener("blur", () => window.setTimeout(close, 100));
}

["to", "cc", "bcc"].forEach((id) => {
  const input = document.getElementById(id);
  if (input) attachAutocomplete(input);
});
