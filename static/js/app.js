// Small progressive enhancements for the app shell; everything works without it.
"use strict";

document.addEventListener("click", (event) => {
  // Close open menus when clicking elsewhere.
  document.querySelectorAll("details.user-menu[open]").forEach((menu) => {
    if (!menu.contains(event.target)) menu.removeAttribute("open");
  });
});

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    document.querySelectorAll("details.user-menu[open]").forEach((menu) => menu.removeAttribute("open"));
  }
});
