// The console's only script: no framework, no build step. Every page works without it; with it,
// parts marked data-refresh update every two seconds, and forms marked data-inline (Retry) are
// sent without leaving the page.
"use strict";

const HEADERS = { "X-Requested-With": "fetch" };

function refresh(part) {
  const again = () => setTimeout(() => refresh(part), 2000);
  fetch(part.dataset.refresh, { headers: HEADERS, cache: "no-store" })
    .then((answer) => {
      if (answer.status === 401) { location.reload(); return null; }
      return answer.ok ? answer.text() : null;
    })
    .then((html) => {
      // A control being used keeps its place: the next round replaces it.
      if (html !== null && !part.contains(document.activeElement)) part.innerHTML = html;
    })
    .catch(() => {})
    .finally(again);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-refresh]").forEach((part) => setTimeout(() => refresh(part), 2000));
});

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches("form[data-inline]")) return;
  event.preventDefault();
  const said = form.querySelector("[role=status]");
  const button = form.querySelector("button");
  button.disabled = true;
  fetch(form.action, { method: "POST", body: new FormData(form), headers: HEADERS })
    .then((answer) => answer.text().then((text) => { if (said) said.textContent = answer.ok ? text : answer.statusText; }))
    .catch(() => { button.disabled = false; });
  button.blur();
});

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  field.select();
  if (navigator.clipboard) navigator.clipboard.writeText(field.value).catch(() => document.execCommand("copy"));
  else document.execCommand("copy");
});
