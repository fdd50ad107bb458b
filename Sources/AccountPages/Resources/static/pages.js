// Enhancements only: every page works without this script, and the server checks every
// password again on submit. The password never leaves the page: the breach warning sends
// the first 5 hex digits of its SHA-1 to /range, with padding, as HIBP's clients do.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();
  for (const input of document.querySelectorAll("input[data-strength]")) enhance(input);
});

function enhance(input) {
  const meter = document.getElementById("password-strength");
  const text = document.getElementById("password-strength-text");
  if (!meter || !text) return;
  let latest = 0;
  input.addEventListener("input", async () => {
    const password = input.value;
    const ticket = ++latest;
    let score = strength(password);
    show(score);
    if (password.length === 0) return;
    const breached = await breachCount(password).catch(() => 0);
    if (ticket !== latest) return;
    if (breached > 0) {
      meter.value = 0;
      text.textContent = meter.dataset.breached;
      text.classList.add("warning");
    }
  });

  function show(score) {
    meter.value = score;
    text.classList.remove("warning");
    text.textContent = score >= 4 ? meter.dataset.strong : score >= 2 ? meter.dataset.fair : meter.dataset.weak;
  }
}

// Length counts most (NIST SP 800-63B); variety a little.
function strength(password) {
  const length = [...password].length;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((pattern) => pattern.test(password)).length;
  if (length < 8) return length === 0 ? 0 : 1;
  if (length >= 16 || (length >= 12 && classes >= 3)) return 4;
  return length >= 12 || classes >= 3 ? 3 : 2;
}

async function breachCount(password) {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(password));
  const hex = [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("").toUpperCase();
  const response = await fetch("/range/" + hex.slice(0, 5), { headers: { "Add-Padding": "true" }, credentials: "omit" });
  if (!response.ok) return 0;
  for (const line of (await response.text()).split("\n")) {
    const [suffix, count] = line.trim().split(":");
    if (suffix === hex.slice(5)) return Number(count);
  }
  return 0;
}
