// Infection control: compliance per ward and room type per day or week against each ward's
// target, the dispensers that are nearly empty or have stopped reporting, and the alerts for
// infection control to acknowledge.
import { api, start, element, explain, formatDateTime, guarded, liveStream, notify, percent, requireRole, showConnection } from "./common.js";
import { AlertList } from "./alert-list.js";

const ZONE_NAMES = { patient_zone: "Patient zone", clean_room: "Clean room", unclean_room: "Unclean room" };
const DAYS_SHOWN = { day: 7, week: 28 };

function rateCell(entry) {
  if (!entry) return element("td", {}, "–");
  const kind = !entry.judged ? "thin" : entry.rate < entry.target ? "below" : "ok";
  let title = `${entry.met} of ${entry.opportunities} opportunities; target ${percent(entry.target)}`;
  const shown = percent(entry.rate);
  if (!entry.late_opportunities) return element("td", { class: `rate ${kind}`, title }, shown);
  // Badge events that reached us after their day was counted: the rate leaves them out.
  title += `; ${entry.late_opportunities} more came too late to count (badge or gateway backlog)`;
  return element("td", { class: `rate ${kind}`, title }, shown, " ",
    element("span", { class: "late", "aria-label": `${entry.late_opportunities} opportunities not counted, came late` },
      `+${entry.late_opportunities} late`));
}

async function loadCompliance(period) {
  const rows = await api(`/api/hygiene/compliance?period=${period}&days=${DAYS_SHOWN[period]}`);
  const periods = [...new Set(rows.map((r) => r.period))].sort();
  const groups = new Map();
  for (const r of rows) {
    const key = `${r.ward_id}|${r.zone_type}`;
    if (!groups.has(key)) groups.set(key, { ward: r.ward_name, target: r.target, zone: r.zone_type, cells: new Map() });
    groups.get(key).cells.set(r.period, r);
  }
  const table = document.getElementById("compliance");
  table.tHead.replaceChildren(element("tr", {},
    element("th", { scope: "col" }, "Ward"), element("th", { scope: "col" }, "Room type"),
    element("th", { scope: "col" }, "Target"), ...periods.map((p) => element("th", { scope: "col" }, p))));
  table.tBodies[0].replaceChildren(...[...groups.values()].map((g) => element("tr", {},
    element("th", { scope: "row" }, g.ward), element("td", {}, ZONE_NAMES[g.zone] ?? g.zone),
    element("td", {}, percent(g.target)), ...periods.map((p) => rateCell(g.cells.get(p))))));
  if (!groups.size) {
    table.tBodies[0].replaceChildren(element("tr", {}, element("td", { colspan: "3" },
      `No hand-hygiene opportunities recorded in the last ${DAYS_SHOWN[period]} days.`)));
  }
  const below = rows.filter((r) => r.judged && r.rate < r.target).length;
  document.getElementById("summary").textContent = `${groups.size} ward room types · ${below} below target in the last ${DAYS_SHOWN[period]} days`;
  for (const button of document.querySelectorAll("[data-period]")) button.setAttribute("aria-pressed", String(button.dataset.period === period));
}

async function loadDispensers() {
  const all = await api("/api/hygiene/dispensers");
  const attention = all.filter((d) => d.offline || d.needs_refill || d.needs_battery || d.weak_link);
  document.getElementById("dispenser-count").textContent = `(${attention.length} of ${all.length})`;
  const rows = attention.map((d) => element("tr", {},
    element("td", {}, d.ward_id), element("td", {}, d.room_id), element("td", {}, String(d.dispenser_id)),
    element("td", {}, d.refill_percent === null ? "–" : `${d.refill_percent} %`),
    element("td", {}, d.battery_percent === null ? "–" : `${d.battery_percent} %`),
    element("td", {}, formatDateTime(d.last_report)),
    element("td", {}, ...problems(d))));
  if (!rows.length) {
    rows.push(element("tr", {}, element("td", { colspan: "7" }, "None: every dispenser reports, gets through and has refill and battery to spare.")));
  }
  document.querySelector("#dispensers tbody").replaceChildren(...rows);
}

// What to bring on the round: a silent dispenser first, since its refill and battery are unknown.
function problems(dispenser) {
  if (dispenser.offline) return [element("span", { class: "flag offline" }, "Offline")];
  return [
    dispenser.needs_refill && element("span", { class: "flag refill" }, "Refill"),
    dispenser.needs_battery && element("span", { class: "flag battery" }, "Battery"),
    dispenser.weak_link && weakLink(dispenser.uplinks),
  ].filter(Boolean);
}

// Lost reports carried hand rubs: the rates of its room undercount until its radio is fixed.
function weakLink(uplinks) {
  const sent = uplinks.received + uplinks.missing;
  const title = `${uplinks.missing} of ${sent} reports lost in 7 days: the uses they carried are missing from the rates`;
  return element("span", { class: "flag link", title }, `Weak radio (${uplinks.missing_percent.toFixed(0)} % lost)`);
}

async function main() {
  await requireRole("infection_control");
  const alerts = new AlertList({ list: document.getElementById("alerts"), count: document.getElementById("alert-count") });
  // A dispenser's alert (empty, offline, back) changes what the round must bring.
  const showDispensers = () => loadDispensers().catch((error) => notify(`Dispensers not shown: ${explain(error)}.`));
  liveStream("/api/alerts/stream", "alert", {
    onEvent: (change, event) => {
      alerts.onEvent(change, event);
      if (change.alert?.entity_type === "dispenser") showDispensers();
    },
    onState: showConnection,
    onOpen: () => alerts.loadUntilRead(),
  });
  const show = guarded("Compliance not shown", (period) => loadCompliance(period));
  for (const button of document.querySelectorAll("[data-period]")) {
    button.addEventListener("click", () => show(button.dataset.period));
  }
  await Promise.all([loadCompliance("day"), loadDispensers()]);
}

start(main);
