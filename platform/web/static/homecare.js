// Home follow-up: the triage board (red, yellow, green by each patient's own thresholds and
// NEWS2), a patient's trends, and their thresholds. Alerts for home care refresh the board live.
import { api, start, element, formatDateTime, formatTime, guarded, liveStream, requireRole, showConnection } from "./common.js";
import { timeChart } from "./chart.js";

const LABELS = {
  heart_rate: "Heart rate", spo2: "SpO₂", systolic_bp: "Systolic BP", diastolic_bp: "Diastolic BP",
  body_temperature: "Temperature", respiratory_rate: "Respiratory rate", body_weight: "Weight",
  blood_glucose: "Blood glucose",
};
// Values arrive with UCUM codes (as FHIR carries them); a nurse reads the usual symbols.
const UNITS = { "Cel": "°C", "mm[Hg]": "mmHg" };
const unitLabel = (code) => UNITS[code] ?? code;
// The board is re-read on every alert; a normal measurement raises none, so it is also re-read
// this often (each read is audited per patient, so not more often than a nurse needs).
const BOARD_REFRESH_MS = 5 * 60000;
let board = [];
let openPatient = null;
let thresholds = new Map(); // kind -> the open patient's saved thresholds

// The form shows what is saved for the chosen measurement, so an edit starts from it.
function fillThresholdForm() {
  const form = document.getElementById("thresholds");
  const saved = thresholds.get(form.elements.kind.value);
  for (const name of ["yellow_low", "green_low", "green_high", "yellow_high"]) {
    form.elements[name].value = saved?.[name] ?? "";
  }
}

function statusBadge(colour) {
  return element("span", { class: `badge ${colour ?? "none"}` }, colour ?? "no data");
}

function news2Cell(news2) {
  if (!news2) return "–";
  const partial = news2.complete ? "" : ` (missing ${news2.missing.length})`;
  const scale = news2.scale === 2 ? " · SpO₂ scale 2" : "";
  return `${news2.total} · ${news2.band}${partial}${scale}`;
}

function latestValues(latest) {
  return element("span", { class: "values" }, ...latest.map((v) =>
    element("span", { class: `value ${v.colour ?? ""}`, title: v.reason ?? "" },
      `${LABELS[v.kind] ?? v.kind} ${Number(v.value.toFixed(1))} ${unitLabel(v.unit)}`)));
}

function row(patient) {
  const open = element("button", { type: "button", class: "link", onclick: () => openPatientView(patient.patient_id) }, patient.patient_id);
  return element("tr", { class: patient.colour ?? "", dataset: { patientId: patient.patient_id } },
    element("td", {}, statusBadge(patient.colour)),
    element("th", { scope: "row" }, open, element("div", { class: "count" }, patient.unit)),
    element("td", {}, news2Cell(patient.news2)),
    element("td", {}, patient.urgency_reason),
    element("td", {}, latestValues(patient.latest)),
    element("td", {}, formatDateTime(patient.last_measurement)));
}

async function loadBoard() {
  board = await api("/api/triage");
  document.querySelector("#triage tbody").replaceChildren(...board.map(row));
  const red = board.filter((p) => p.colour === "red").length;
  document.getElementById("summary").textContent =
    `${board.length} patients · ${red} red · as of ${formatTime(new Date().toISOString())}`;
  if (!board.length) {
    document.querySelector("#triage tbody").replaceChildren(element("tr", {},
      element("td", { colspan: "6" }, "No patients in home follow-up yet.")));
  }
}

const openPatientView = guarded("Could not open the patient", (patientId) => showPatient(patientId));

async function showPatient(patientId) {
  openPatient = patientId;
  const [measurements, saved] = await Promise.all([
    api(`/api/patients/${encodeURIComponent(patientId)}/measurements?days=14`),
    api(`/api/patients/${encodeURIComponent(patientId)}/thresholds`),
  ]);
  thresholds = new Map(saved.map((t) => [t.kind, t]));
  fillThresholdForm();
  document.getElementById("threshold-message").textContent = "";
  const summary = board.find((p) => p.patient_id === patientId);
  document.getElementById("patient").hidden = false;
  document.getElementById("patient-title").textContent = `Patient ${patientId}`;
  document.getElementById("patient-reason").textContent = summary?.urgency_reason ?? "";
  document.getElementById("visit-reason").value = summary?.urgency_reason ?? "";
  document.getElementById("visit-message").textContent = "";
  document.getElementById("spo2-scale-choice").value = String(summary?.spo2_scale ?? 1);
  document.getElementById("spo2-scale-message").textContent = "";
  drawTrends(measurements);
}

async function saveScale(event) {
  event.preventDefault();
  const scale = Number(new FormData(event.target).get("spo2_scale"));
  const message = document.getElementById("spo2-scale-message");
  try {
    await api(`/api/patients/${encodeURIComponent(openPatient)}/spo2-scale`, { method: "PUT", json: { spo2_scale: scale } });
    message.className = "message";
    message.textContent = `${openPatient} is scored on SpO₂ scale ${scale}.`;
    await loadBoard();
  } catch (error) {
    message.className = "message error";
    message.textContent = `Not saved: ${error.message}`;
  }
}

async function scheduleVisit(event) {
  const form = new FormData(event.target);
  const message = document.getElementById("visit-message");
  try {
    const visit = await api(`/api/patients/${encodeURIComponent(openPatient)}/visits`, {
      json: { reason: form.get("reason"), within_hours: Number(form.get("within_hours")) },
    });
    message.className = "message";
    message.textContent = `Visit requested for ${openPatient}, due by ${formatDateTime(visit.due_by)}.`;
  } catch (error) {
    message.className = "message error";
    message.textContent = `Visit not scheduled: ${error.message}`;
  }
}

function drawTrends(measurements) {
  const byKind = new Map();
  for (const m of measurements) {
    if (!byKind.has(m.kind)) byKind.set(m.kind, []);
    byKind.get(m.kind).push(m);
  }
  const charts = document.getElementById("charts");
  charts.replaceChildren();
  for (const [kind, series] of byKind) {
    const plot = element("div", { class: "chart", role: "img", "aria-label": `${LABELS[kind] ?? kind} over 14 days` });
    charts.append(element("figure", { dataset: { kind } }, element("figcaption", {}, `${LABELS[kind] ?? kind} (${unitLabel(series[0].unit)})`), plot));
    timeChart(plot, series.map((m) => m.time), [{ label: LABELS[kind] ?? kind, values: series.map((m) => m.value), colour: "#1f5fbf" }], { height: 160 });
  }
  if (!byKind.size) charts.append(element("p", {}, "No measurements in the last 14 days."));
}

async function saveThresholds(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const number = (name) => (form.get(name) === "" ? null : Number(form.get(name)));
  const message = document.getElementById("threshold-message");
  try {
    const saved = await api(`/api/patients/${encodeURIComponent(openPatient)}/thresholds/${form.get("kind")}`, {
      method: "PUT",
      json: { yellow_low: number("yellow_low"), green_low: number("green_low"), green_high: number("green_high"), yellow_high: number("yellow_high") },
    });
    thresholds.set(saved.kind, saved);
    message.className = "message";
    message.textContent = `Saved thresholds for ${LABELS[form.get("kind")]}.`;
    await loadBoard();
  } catch (error) {
    message.className = "message error";
    message.textContent = `Not saved: ${error.message}`;
  }
}

async function main() {
  await requireRole("home_care_nurse");
  document.getElementById("thresholds").addEventListener("submit", saveThresholds);
  document.getElementById("threshold-kind").addEventListener("change", fillThresholdForm);
  // One visit however often the button is pressed while the first request is on its way.
  document.getElementById("visit").addEventListener("submit", guarded("Visit not scheduled", scheduleVisit));
  document.getElementById("spo2-scale").addEventListener("submit", saveScale);
  document.getElementById("patient-close").addEventListener("click", () => { document.getElementById("patient").hidden = true; });
  await loadBoard();
  // Each board read is audited per patient: re-read only on a change or after a reconnect.
  let connectedBefore = false;
  liveStream("/api/alerts/stream", "alert", {
    onEvent: () => loadBoard(),
    onState: showConnection,
    onOpen: () => {
      if (connectedBefore) loadBoard().catch(() => showConnection("offline"));
      connectedBefore = true;
    },
  });
  setInterval(() => loadBoard().catch(() => showConnection("offline")), BOARD_REFRESH_MS);
}

start(main);
