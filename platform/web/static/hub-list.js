// The home hubs that need attention (patients/hub_watch.py decides which), on the home-care
// and the admin screen. Only those hubs are read: each patient a hub serves is audited.
import { api, element, formatDateTime } from "./common.js";

/** Read and show them in `table` (Hub, Patients, Last report, Problem) with their number in
 * `count`; `patientControl(id)` names a patient (a button that opens her, or plain text). */
export async function showHubsNeedingAttention({ table, count, patientControl = (id) => id }) {
  const hubs = await api("/api/hubs/health?needs_attention=true");
  const rows = hubs.map((hub) => element("tr", { dataset: { hubId: hub.hub_id } },
    element("th", { scope: "row" }, hub.hub_id, element("div", { class: "count" }, hub.unit)),
    element("td", {}, ...hub.patients.flatMap((id, index) => [index ? ", " : null, patientControl(id)])),
    element("td", {}, hub.reported_at ? formatDateTime(hub.reported_at) : "never"),
    element("td", {}, element("ul", { class: "plain-list" }, ...hub.problems.map((p) => element("li", {}, p))))));
  if (!rows.length) rows.push(element("tr", {}, element("td", { colspan: "4" }, "None: every hub reports and runs its settings.")));
  table.tBodies[0].replaceChildren(...rows);
  count.textContent = hubs.length ? `(${hubs.length})` : "";
}
