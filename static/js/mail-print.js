// The print view: opens the browser's print dialog once the page and its images have loaded;
// the Print button opens it again.
"use strict";

const button = document.querySelector(".print-now");
if (button) button.addEventListener("click", () => window.print());
window.addEventListener("load", () => window.print(), { once: true });
