// The journal UI: plain DOM, no framework. User text only ever goes through textContent.
"use strict";

const ui = {
  form: document.getElementById("add-form"),
  text: document.getElementById("entry-text"),
  addButton: document.getElementById("add-button"),
  error: document.getElementById("error"),
  list: document.getElementById("entries"),
  empty: document.getElementById("empty"),
  summary: document.getElementById("summary"),
  prev: document.getElementById("prev"),
  next: document.getElementById("next"),
  pageInfo: document.getElementById("page-info"),
};

let currentPage = 1;

// Read-your-writes across API processes: every answer carries the journal's version as the serving
// process saw it; sending back the highest one makes a process whose replica is older read from the
// primary. Kept per tab, so a reload still shows what this tab wrote.
const VERSION_KEY = "journal-version";

function seenVersion() {
  return Number(sessionStorage.getItem(VERSION_KEY) || "0");
}

function noteVersion(response) {
  const version = Number(response.headers.get("Journal-Version") || "0");
  if (Number.isSafeInteger(version) && version > seenVersion()) {
    sessionStorage.setItem(VERSION_KEY, String(version));
  }
}

class ApiError extends Error {}

// Errors read as "503: storage unavailable: ..." using the API's JSON `detail` when there is one.
async function describe(response) {
  let detail = "";
  try {
    const body = await response.json();
    if (body && typeof body.detail === "string") detail = body.detail;
  } catch {
    // NGINX's own error pages are HTML; the status line says enough.
  }
  const reason = detail || response.statusText || "request failed";
  return `Error ${response.status}: ${reason}`;
}

// One Idempotency-Key per entry being added: pressing Add again after an error (a 503 may mean the
// write's fate is unknown) retries with the same key, so the entry is stored once. Editing the text
// starts a new entry.
let pendingKey = null;

function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function call(method, url, body, extraHeaders = {}) {
  const init = { method, headers: { Accept: "application/json", ...extraHeaders } };
  const version = seenVersion();
  if (version > 0) init.headers["Journal-Version"] = String(version);
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new ApiError("Network error: the server could not be reached.");
  }
  if (!response.ok) throw new ApiError(await describe(response));
  noteVersion(response);
  return response.status === 204 ? null : response.json();
}

function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = false;
}

function clearError() {
  ui.error.textContent = "";
  ui.error.hidden = true;
}

function formatTime(iso) {
  const moment = new Date(iso);
  return Number.isNaN(moment.getTime()) ? iso : moment.toLocaleString();
}

function renderEntry(entry) {
  const item = document.createElement("li");
  item.className = "entry";
  item.dataset.id = String(entry.id);

  const text = document.createElement("p");
  text.className = "text";
  text.textContent = entry.text;

  const time = document.createElement("time");
  time.dateTime = entry.created;
  time.textContent = formatTime(entry.created);

  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "delete";
  remove.textContent = "Delete";
  remove.setAttribute("aria-label", `Delete entry ${entry.id}`);
  remove.addEventListener("click", () => removeEntry(entry.id, remove));

  item.append(text, time, remove);
  return item;
}

function renderPage(body) {
  ui.list.replaceChildren(...body.items.map(renderEntry));
  ui.empty.hidden = body.items.length > 0;
  const pages = Math.max(1, Math.ceil(body.total / body.page_size));
  ui.summary.textContent = `(${body.total})`;
  ui.pageInfo.textContent = `Page ${body.page} of ${pages}`;
  ui.prev.disabled = body.page <= 1;
  ui.next.disabled = !body.next;
}

async function load(page) {
  ui.list.setAttribute("aria-busy", "true");
  try {
    const body = await call("GET", `/api?page=${page}`);
    // A delete can empty the last page: step back to one that has entries.
    if (body.items.length === 0 && page > 1) return load(page - 1);
    currentPage = page;
    renderPage(body);
    clearError();
  } catch (err) {
    showError(err.message);
  } finally {
    ui.list.removeAttribute("aria-busy");
  }
}

async function addEntry(event) {
  event.preventDefault();
  ui.addButton.disabled = true;
  try {
    pendingKey ??= newKey();
    await call("POST", "/api", { text: ui.text.value }, { "Idempotency-Key": pendingKey });
    pendingKey = null;
    ui.form.reset();
    await load(1);
  } catch (err) {
    showError(err.message);
  } finally {
    ui.addButton.disabled = false;
    ui.text.focus();
  }
}

async function removeEntry(id, button) {
  button.disabled = true;
  try {
    await call("DELETE", `/api/${encodeURIComponent(id)}`);
    await load(currentPage);
  } catch (err) {
    button.disabled = false;
    showError(err.message);
  }
}

ui.form.addEventListener("submit", addEntry);
ui.text.addEventListener("input", () => {
  pendingKey = null;
});
ui.prev.addEventListener("click", () => load(currentPage - 1));
ui.next.addEventListener("click", () => load(currentPage + 1));
load(1);
