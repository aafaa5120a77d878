// The results page: "Download Excel" asks the server to build the workbook off the request and shows how far
// it is, then downloads it. Without this script the link still works (the server builds it in the request).
import { $, csrfToken, t } from "./ui.js";

const POLL_MS = 500;
const link = $("#xlsx-link");
const box = $("#workbook-progress");

async function ask(method) {
  const response = await fetch(link.dataset.workbook, {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

function show(state) {
  const bar = box.querySelector("progress");
  const note = box.querySelector("span");
  box.hidden = false;
  if (state.rows_total) {
    bar.max = state.rows_total;
    bar.value = state.rows_done;
    note.textContent = t("workbook_preparing", { done: state.rows_done, total: state.rows_total });
  } else {
    bar.removeAttribute("value"); // indeterminate until the rows are counted
    note.textContent = t("workbook_starting");
  }
}

async function prepare(event) {
  event.preventDefault();
  if (link.getAttribute("aria-busy") === "true") return;
  link.setAttribute("aria-busy", "true");
  try {
    let state = await ask("POST");
    while (state.state === "building") {
      show(state);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      state = await ask("GET");
    }
    if (state.state !== "ready") throw new Error(state.state);
    show({ rows_done: state.rows_total, rows_total: state.rows_total });
    window.location.assign(state.url);
    setTimeout(() => { box.hidden = true; }, 2000);
  } catch (error) {
    box.hidden = false;
    box.querySelector("span").textContent = t("workbook_failed");
  } finally {
    link.removeAttribute("aria-busy");
  }
}

if (link?.dataset.workbook) link.addEventListener("click", prepare);
