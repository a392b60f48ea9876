// The audit log: every read of a patient's data, newest first, optionally for one patient.
import { api, start, element, formatDateTime, requireRole } from "./common.js";

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
  await requireRole("admin");
  document.getElementById("audit-filter").addEventListener("submit", (event) => {
    event.preventDefault();
    loadAudit(new FormData(event.target).get("patient_id").trim());
  });
  await loadAudit("");
}

start(main);
