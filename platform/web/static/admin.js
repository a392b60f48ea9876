// Administration: the users (add one with a one-time password she replaces at her first
// sign-in; deactivate one who left or lost a phone: her sessions end at once), webhooks,
// home hubs that need attention (a clock behind, settings not applied), and the audit log of
// every read of a patient's data, newest first.
import { api, start, element, explain, formatDateTime, guarded, notify, requireRole } from "./common.js";
import { showHubsNeedingAttention } from "./hub-list.js";

let me = null;

function userRow(user) {
  const change = user.username === me.username
    ? element("span", { class: "state" }, "you")
    : element("button", {
      type: "button",
      "aria-label": `${user.active ? "Deactivate" : "Reactivate"} ${user.username}`,
      onclick: () => setActive(user, !user.active),
    }, user.active ? "Deactivate" : "Reactivate");
  return element("tr", { dataset: { username: user.username }, class: user.active ? "" : "inactive" },
    element("th", { scope: "row" }, user.username), element("td", {}, user.display_name || "–"),
    element("td", {}, user.role),
    element("td", { class: "count" }, user.active ? `${user.open_sessions} device${user.open_sessions === 1 ? "" : "s"}` : "–"),
    element("td", {}, user.active ? "active " : "inactive ", pendingPassword(user), change));
}

// The one-time password an admin gave is still the account's: she has not signed in since.
// Unused past its time it no longer works, and the admin gives her a new one.
function pendingPassword(user) {
  if (!user.must_change_password) return null;
  const expires = user.one_time_password_expires_at && new Date(user.one_time_password_expires_at);
  if (expires && expires <= new Date()) {
    return element("span", { class: "pending-password expired" }, "· one-time password expired: set a new one ");
  }
  const until = expires ? `, works until ${expires.toLocaleString("en-GB", { dateStyle: "short", timeStyle: "short" })}` : "";
  return element("span", { class: "pending-password" }, `· one-time password not yet replaced${until} `);
}

async function loadUsers() {
  const found = await api("/api/admin/users");
  document.querySelector("#users tbody").replaceChildren(...found.map(userRow));
}

async function setActive(user, active) {
  const message = document.getElementById("users-message");
  if (!active && !confirm(`Deactivate ${user.username}? Every session of theirs ends now.`)) return;
  try {
    await api(`/api/admin/users/${encodeURIComponent(user.username)}`, { method: "PATCH", json: { active } });
    message.className = "message";
    message.textContent = active ? `${user.username} can sign in again.` : `${user.username} is deactivated and signed out everywhere.`;
  } catch (error) {
    message.className = "message error";
    message.textContent = `Not changed: ${error.message}`;
  }
  await loadUsers();
}

async function addUser(event) {
  const form = event.target;
  const message = document.getElementById("users-message");
  const user = Object.fromEntries(new FormData(form));
  try {
    await api("/api/admin/users", { json: user });
    message.className = "message";
    message.textContent = `${user.username} is added with a one-time password: at the first sign-in she chooses her own.`;
    form.reset();
  } catch (error) {
    message.className = "message error";
    message.textContent = `Not added: ${explain(error)}`;
  }
  await loadUsers();
}

// A receiver that stopped answering: what waits for it, since when, and why it fails.
async function loadWebhooks() {
  const hooks = await api("/api/admin/webhooks");
  const rows = hooks.map((w) => element("tr", { class: w.last_error ? "failing" : "" },
    element("th", { scope: "row" }, w.url), element("td", {}, w.audiences.join(", ")),
    element("td", { class: "count" }, String(w.undelivered)),
    element("td", {}, formatDateTime(w.last_delivered_at)),
    element("td", {}, w.last_error
      ? `${w.last_error} · waiting since ${formatDateTime(w.failing_since)}, next try ${formatDateTime(w.next_attempt_at)}`
      : "–")));
  if (!rows.length) rows.push(element("tr", {}, element("td", { colspan: "5" }, "No webhooks.")));
  document.querySelector("#webhooks tbody").replaceChildren(...rows);
}

async function loadAudit(patientId) {
  const query = patientId ? `?patient_id=${encodeURIComponent(patientId)}&limit=500` : "?limit=500";
  const entries = await api(`/api/admin/audit${query}`);
  document.querySelector("#audit tbody").replaceChildren(...entries.map((e) => element("tr", {},
    element("td", {}, formatDateTime(e.at)), element("td", {}, e.username), element("td", {}, e.role),
    element("td", {}, e.action), element("td", {}, e.patient_id ?? "–"),
    element("td", { class: "count" }, Object.keys(e.detail).length ? JSON.stringify(e.detail) : ""))));
  document.getElementById("summary").textContent = `${entries.length} entries${patientId ? ` for ${patientId}` : ""}`;
}

async function main() {
  me = await requireRole("admin");
  showHubsNeedingAttention({ table: document.getElementById("hubs"), count: document.getElementById("hub-count") })
    .catch((error) => notify(`Hubs not shown: ${explain(error)}.`));
  document.getElementById("add-user").addEventListener("submit", guarded("User not added", addUser));
  await Promise.all([loadUsers(), loadWebhooks()]);
  document.getElementById("audit-filter").addEventListener("submit", guarded("Audit log not shown",
    (event) => loadAudit(new FormData(event.target).get("patient_id").trim())));
  await loadAudit("");
}

start(main);
