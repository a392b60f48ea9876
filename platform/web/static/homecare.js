// Home follow-up: the triage board (red, yellow, green by each patient's own thresholds and
// NEWS2), home care's alerts to acknowledge, a patient's trends, and their thresholds. Alerts
// refresh the board live.
import { api, start, element, explain, formatDateTime, formatTime, guarded, liveStream, notify, requireRole, showConnection } from "./common.js";
import { AlertList } from "./alert-list.js";
import { questionnaireNames, said, showAnswerColours, wireAnswerColours, words } from "./answer-colours.js";
import { showHubsNeedingAttention } from "./hub-list.js";
import { timeChart } from "./chart.js";

const LABELS = {
  heart_rate: "Heart rate", spo2: "SpO₂", systolic_bp: "Systolic BP", diastolic_bp: "Diastolic BP",
  body_temperature: "Temperature", respiratory_rate: "Respiratory rate", body_weight: "Weight",
  blood_glucose: "Blood glucose",
};
// The unit each kind's thresholds are set in (as the measurement picker says).
const KIND_UNITS = {
  heart_rate: "/min", spo2: "%", systolic_bp: "mmHg", diastolic_bp: "mmHg", body_temperature: "°C",
  respiratory_rate: "/min", body_weight: "kg", blood_glucose: "mmol/l",
};
// Values arrive with UCUM codes (as FHIR carries them); a nurse reads the usual symbols.
const UNITS = { "Cel": "°C", "mm[Hg]": "mmHg" };
const unitLabel = (code) => UNITS[code] ?? code;
// The board is re-read on alerts; a normal measurement raises none, so it is also re-read
// this often (each read is audited per patient, so not more often than a nurse needs).
const BOARD_REFRESH_MS = 5 * 60000;
// However many alert events arrive, the board is read at most once per this gap.
const BOARD_MIN_GAP_MS = 3000;
let board = [];
let openPatient = null;
let thresholds = new Map(); // kind -> the open patient's saved thresholds
let prefilledReason = null; // the visit reason this screen last put in the form
let trendsMeasuredAt; // the open patient's last measurement when their charts were read
let shownPatient = null; // whose panel is on the screen (openPatient may still be loading)
let visitAsked = null; // { key, patient, reason, within } of the last visit request sent

// The form shows what is saved for the chosen measurement, so an edit starts from it.
function fillThresholdForm() {
  const form = document.getElementById("thresholds");
  const saved = thresholds.get(form.elements.kind.value);
  for (const name of ["yellow_low", "green_low", "green_high", "yellow_high"]) {
    form.elements[name].value = saved?.[name] ?? "";
  }
  showThresholdReading();
}

/**
 * What the limits mean, in one line, as the platform judges a value (clinical/plan.py): a value
 * on a limit takes the milder colour, so "red below 90" makes 90 itself yellow. Returns
 * {text, problem}: `problem` when the limits would be refused.
 */
function readThresholds({ yellow_low: redBelow, green_low: greenFrom, green_high: greenTo, yellow_high: redAbove }, unit) {
  const set = (v) => v !== null && v !== undefined;
  const amount = (v) => `${v} ${unit}`;
  for (const [side, green, red, greenLabel, redLabel, beyond] of [
    ["Lower", greenFrom, redBelow, "Green from", "Red below", "below"],
    ["Upper", greenTo, redAbove, "Green up to", "Red above", "above"],
  ]) {
    if (set(green) && !set(red)) {
      return { problem: true, text: `${side} side: nothing ${beyond} ${amount(green)} would ever be red. Set “${redLabel}” too, or clear “${greenLabel}”.` };
    }
    if (set(red) && !set(green)) {
      return { problem: true, text: `${side} side: “${redLabel}” needs “${greenLabel}” too, or clear it.` };
    }
  }
  const present = [redBelow, greenFrom, greenTo, redAbove].filter(set);
  if (present.some((v, i) => i > 0 && v < present[i - 1])) {
    return { problem: true, text: "The limits must rise from left to right: red below ≤ green from ≤ green up to ≤ red above." };
  }
  if (!present.length) return { problem: false, text: "No limits: every value would be green." };
  const red = [set(redBelow) && `below ${amount(redBelow)}`, set(redAbove) && `above ${amount(redAbove)}`].filter(Boolean);
  const yellow = [
    set(redBelow) && redBelow < greenFrom && `${redBelow} to under ${amount(greenFrom)}`,
    set(redAbove) && greenTo < redAbove && `over ${greenTo} up to ${amount(redAbove)}`,
  ].filter(Boolean);
  let green;
  if (set(greenFrom) && set(greenTo)) green = `${greenFrom} to ${amount(greenTo)}`;
  else if (set(greenFrom)) green = `${amount(greenFrom)} and above`;
  else green = `up to ${amount(greenTo)}`;
  return {
    problem: false,
    text: `Red ${red.join(" or ")}; yellow ${yellow.length ? yellow.join(" or ") : "never"}; green ${green}.`,
  };
}

function formLimits(form) {
  const number = (name) => (form.elements[name].value === "" ? null : Number(form.elements[name].value));
  return { yellow_low: number("yellow_low"), green_low: number("green_low"), green_high: number("green_high"), yellow_high: number("yellow_high") };
}

function showThresholdReading() {
  const form = document.getElementById("thresholds");
  const reading = readThresholds(formLimits(form), KIND_UNITS[form.elements.kind.value] ?? "");
  const line = document.getElementById("threshold-reading");
  line.className = reading.problem ? "threshold-reading problem" : "threshold-reading";
  line.textContent = reading.text;
}

/** The server's reason for a refusal, without the validation library's wrapping. */
function serverReason(error) {
  const text = explain(error);
  const wrapped = /Value error, ([\s\S]*?) \[type=/.exec(text); // a pydantic error passed on as text
  return (wrapped ? wrapped[1] : text).replaceAll("Value error, ", "");
}

function statusBadge(patient) {
  if (patient?.colour) return element("span", { class: `badge ${patient.colour}` }, patient.colour);
  // Values nobody has set limits for are not "no data": NEWS2 may well score them.
  if (patient?.latest?.length) {
    return element("span", { class: "badge none", title: "Values, but no personal thresholds to judge them by" }, "no thresholds");
  }
  if (patient?.last_measurement) {
    return element("span", { class: "badge none", title: "Nothing measured in the last 14 days" }, "no recent data");
  }
  return element("span", { class: "badge none", title: "Never measured" }, "no data");
}

function news2Cell(news2) {
  if (!news2) return "–";
  const partial = news2.complete ? "" : ` (missing ${news2.missing.length})`;
  const scale = news2.scale === 2 ? " · SpO₂ scale 2" : "";
  return `${news2.total} · ${news2.band}${partial}${scale}`;
}

function latestValues(latest, answers = []) {
  return element("span", { class: "values" }, ...latest.map((v) =>
    element("span", { class: `value ${v.colour ?? ""}`, title: v.reason ?? "" },
      `${LABELS[v.kind] ?? v.kind} ${Number(v.value.toFixed(1))} ${unitLabel(v.unit)}`)),
  // The latest answers to each questionnaire, coloured as its colours read them.
  ...answers.map((a) => element("span", { class: `value answers ${a.colour ?? ""}`, title: a.reason },
    `${words(a.questionnaire)}: ${a.colour ?? "not judged"}`)));
}

function row(patient) {
  const open = element("button", { type: "button", class: "link", onclick: () => openPatientView(patient.patient_id) }, patient.patient_id);
  return element("tr", { class: patient.colour ?? "", dataset: { patientId: patient.patient_id } },
    element("td", {}, statusBadge(patient)),
    element("th", { scope: "row" }, open, element("div", { class: "count" }, patient.unit)),
    element("td", {}, news2Cell(patient.news2)),
    element("td", {}, patient.urgency_reason),
    element("td", {}, latestValues(patient.latest, patient.answers)),
    element("td", {}, formatDateTime(patient.last_measurement)));
}

function renderBoard(answer) {
  board = answer;
  document.querySelector("#triage tbody").replaceChildren(...board.map(row));
  const red = board.filter((p) => p.colour === "red").length;
  document.getElementById("summary").textContent =
    `${board.length} patients · ${red} red · as of ${formatTime(new Date().toISOString())}`;
  if (!board.length) {
    document.querySelector("#triage tbody").replaceChildren(element("tr", {},
      element("td", { colspan: "6" }, "No patients in home follow-up yet.")));
  }
  refreshOpenPanel();
}

// Board reads. Each is audited once per patient, and alert events come in bursts (another
// nurse's comments, escalations, a storm of readings), so they are coalesced: one read at a
// time, one more for whatever asked while it ran, and not more often than BOARD_MIN_GAP_MS
// unless the nurse herself changed something. An answer older than the one shown is dropped.
const boardReads = { running: false, wanted: false, urgent: false, timer: null, lastStart: -Infinity, waiters: [], started: 0, shown: 0 };

/** A board read that starts after this call; resolves when it is shown. `urgent` skips the gap. */
function refreshBoard({ urgent = false } = {}) {
  return new Promise((resolve, reject) => {
    boardReads.waiters.push({ resolve, reject });
    boardReads.wanted = true;
    boardReads.urgent ||= urgent;
    pumpBoard();
  });
}

function pumpBoard() {
  const reads = boardReads;
  if (reads.running || !reads.wanted) return;
  const wait = reads.urgent ? 0 : reads.lastStart + BOARD_MIN_GAP_MS - Date.now();
  if (wait > 0) {
    reads.timer ??= setTimeout(() => { reads.timer = null; pumpBoard(); }, wait);
    return;
  }
  clearTimeout(reads.timer);
  reads.timer = null;
  const waiters = reads.waiters;
  Object.assign(reads, { waiters: [], wanted: false, urgent: false, running: true, lastStart: Date.now() });
  const number = ++reads.started;
  (async () => {
    const answer = await api("/api/triage");
    if (number > reads.shown) {
      reads.shown = number;
      renderBoard(answer);
    }
  })().then(
    () => waiters.forEach((w) => w.resolve()),
    (error) => waiters.forEach((w) => w.reject(error)),
  ).finally(() => {
    reads.running = false;
    pumpBoard();
  });
}

const openPatientView = guarded("Could not open the patient", (patientId) => showPatient(patientId));

async function showPatient(patientId) {
  openPatient = patientId;
  const summary = board.find((p) => p.patient_id === patientId);
  const [measurements, saved] = await Promise.all([
    api(`/api/patients/${encodeURIComponent(patientId)}/measurements?days=14`),
    api(`/api/patients/${encodeURIComponent(patientId)}/thresholds`),
  ]);
  if (openPatient !== patientId) return; // another patient was opened meanwhile
  thresholds = new Map(saved.map((t) => [t.kind, t]));
  fillThresholdForm();
  document.getElementById("threshold-message").textContent = "";
  document.getElementById("patient").hidden = false;
  document.getElementById("patient-title").textContent = `Patient ${patientId}`;
  shownPatient = patientId;
  const current = board.find((p) => p.patient_id === patientId) ?? summary; // the board may have moved on
  showSummary(current, { opened: true });
  document.getElementById("visit-message").textContent = "";
  visitAsked = null; // opening a patient starts a new request
  document.getElementById("spo2-scale-choice").value = String(current?.spo2_scale ?? 1);
  document.getElementById("spo2-scale-message").textContent = "";
  trendsMeasuredAt = summary?.last_measurement ?? null; // what the charts hold at least
  drawTrends(measurements);
  loadAnswers(patientId);
  loadSchedule(patientId);
  loadInstructions(patientId);
}

async function loadAnswers(patientId) {
  const body = document.querySelector("#answers tbody");
  // A row holds the table's place while the answers load: the forms below do not jump under
  // the nurse's pointer when they arrive.
  body.replaceChildren(answersNote("Reading the answers…"));
  try {
    const sets = await api(`/api/patients/${encodeURIComponent(patientId)}/answers?days=14`);
    if (openPatient !== patientId) return;
    body.replaceChildren(...sets.map((set) => element("tr", { class: set.colour ?? "" },
      element("td", {}, formatDateTime(set.time)),
      element("td", {}, set.questionnaire),
      element("td", {}, answersColour(set)),
      element("td", {}, Object.entries(set.answers).map(([question, answer]) => `${words(question)}: ${said(answer)}`).join("; ")))));
    if (!sets.length) body.append(answersNote("No questionnaire answered in the last 14 days."));
  } catch (error) {
    if (openPatient !== patientId) return;
    body.replaceChildren(answersNote(`Answers not read: ${explain(error)}.`));
  }
}

function answersNote(text) {
  return element("tr", {}, element("td", { colspan: "4" }, text));
}

/** The set's colour, and unless green, which answers gave it (or why it is not judged). */
function answersColour(set) {
  const badge = set.colour
    ? element("span", { class: `badge ${set.colour}` }, set.colour)
    : element("span", { class: "badge none" }, "not judged");
  if (set.colour === "green") return badge;
  return element("span", {}, badge, element("div", { class: "count" }, set.reason));
}


/** The plan's instructions; Save stays off until they are read, so empty boxes never
 * overwrite saved words. */
async function loadInstructions(patientId) {
  const form = document.getElementById("instructions");
  const message = document.getElementById("instructions-message");
  document.getElementById("instructions-save").disabled = true;
  form.reset();
  message.textContent = "";
  try {
    const saved = await api(`/api/patients/${encodeURIComponent(patientId)}/instructions`);
    if (openPatient !== patientId) return;
    form.elements.red.value = saved.red;
    form.elements.yellow.value = saved.yellow;
    document.getElementById("instructions-save").disabled = false;
  } catch (error) {
    message.className = "message error";
    message.textContent = `Instructions not read: ${explain(error)}.`;
  }
}

async function saveInstructions(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const message = document.getElementById("instructions-message");
  try {
    await api(`/api/patients/${encodeURIComponent(openPatient)}/instructions`, {
      method: "PUT", json: { red: form.get("red"), yellow: form.get("yellow") },
    });
    message.className = "message";
    message.textContent = "Saved; the patient's home hub gets them within seconds when it is online.";
  } catch (error) {
    message.className = "message error";
    message.textContent = `Not saved: ${serverReason(error)}`;
  }
}

/** The open patient's reason and prefilled visit reason, from the board as it now stands. A
 * visit reason the nurse typed herself is hers and stays. */
function showSummary(summary, { opened = false } = {}) {
  const reason = summary?.urgency_reason ?? "";
  document.getElementById("patient-reason").replaceChildren(statusBadge(summary), " ", reason);
  const visitReason = document.getElementById("visit-reason");
  if (opened || visitReason.value === prefilledReason) {
    visitReason.value = reason;
    prefilledReason = reason;
  }
}

/** After each board read: the open panel follows it, and its charts are read again only when
 * the patient has measured since they were drawn. */
function refreshOpenPanel() {
  if (!shownPatient || shownPatient !== openPatient) return;
  const summary = board.find((p) => p.patient_id === shownPatient);
  if (!summary) return;
  showSummary(summary);
  const measuredAt = summary.last_measurement ?? null;
  if (measuredAt !== trendsMeasuredAt) redrawTrends(shownPatient, measuredAt);
}

async function redrawTrends(patientId, measuredAt) {
  trendsMeasuredAt = measuredAt; // one read per new measurement, however many boards follow
  try {
    const measurements = await api(`/api/patients/${encodeURIComponent(patientId)}/measurements?days=14`);
    if (openPatient === patientId && trendsMeasuredAt === measuredAt) drawTrends(measurements);
  } catch (error) {
    if (trendsMeasuredAt === measuredAt) trendsMeasuredAt = undefined; // try again on the next board
    notify(`Could not refresh the charts: ${explain(error)}.`);
  }
}

async function saveScale(event) {
  event.preventDefault();
  const scale = Number(new FormData(event.target).get("spo2_scale"));
  const message = document.getElementById("spo2-scale-message");
  try {
    await api(`/api/patients/${encodeURIComponent(openPatient)}/spo2-scale`, { method: "PUT", json: { spo2_scale: scale } });
    message.className = "message";
    message.textContent = `${openPatient} is scored on SpO₂ scale ${scale}.`;
  } catch (error) {
    message.className = "message error";
    message.textContent = `Not saved: ${serverReason(error)}`;
    return;
  }
  await refreshBoard({ urgent: true }).catch((error) => notify(`Board not refreshed: ${explain(error)}.`));
}

// What the night shift made of a visit it took on.
function nightNote(task) {
  if (!task) return "";
  if (task.planned) return task.eta ? ` A night nurse is planned to arrive about ${formatTime(task.eta)}.` : " A night nurse has taken it.";
  return ` No night nurse is planned: ${task.unplanned_reason ?? "waiting for the night plan"}.`;
}

// The same request sent again (a double click, a resend after no answer) carries the same
// key, so the server gives back the visit it made instead of a second one.
function visitKey(request) {
  const same = visitAsked && ["patient", "reason", "within"].every((field) => visitAsked[field] === request[field]);
  if (!same) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    visitAsked = { ...request, key: Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("") };
  }
  return visitAsked.key;
}

async function scheduleVisit(event) {
  const form = new FormData(event.target);
  const message = document.getElementById("visit-message");
  const request = { patient: openPatient, reason: form.get("reason").trim(), within: Number(form.get("within_hours")) };
  try {
    const visit = await api(`/api/patients/${encodeURIComponent(request.patient)}/visits`, {
      json: { reason: request.reason, within_hours: request.within },
      headers: { "Idempotency-Key": visitKey(request) },
    });
    const task = visit.night_task;
    // The carer must know when no night nurse is coming (a window no one can reach in time).
    message.className = task && !task.planned ? "message error" : "message";
    const due = formatDateTime(visit.due_by);
    message.textContent = visit.already_requested
      ? `This visit was already requested for ${visit.patient_id}, due by ${due}. Change the reason or the time to ask for another.${nightNote(task)}`
      : `Visit requested for ${visit.patient_id}, due by ${due}.${nightNote(task)}`;
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
  const kind = event.target.elements.kind.value;
  const message = document.getElementById("threshold-message");
  try {
    const saved = await api(`/api/patients/${encodeURIComponent(openPatient)}/thresholds/${kind}`, {
      method: "PUT",
      json: formLimits(event.target),
    });
    thresholds.set(saved.kind, saved);
    message.className = "message";
    message.textContent = `Saved thresholds for ${LABELS[kind]}.`;
  } catch (error) {
    message.className = "message error";
    message.textContent = `Not saved: ${serverReason(error)}`;
    return;
  }
  await refreshBoard({ urgent: true }).catch((error) => notify(`Board not refreshed: ${explain(error)}.`));
}

// The schedule: each kind the patient measures and each questionnaire of the plan the patient
// answers, at which local clock times, on which weekdays. The whole schedule is saved at once
// (an empty one clears it); the server checks the times.
let scheduleOf = null; // the patient whose schedule the editor holds; saving waits for it

async function loadSchedule(patientId) {
  scheduleOf = null;
  renderSchedule([]);
  const message = document.getElementById("schedule-message");
  message.className = "message";
  message.textContent = "Loading the schedule…";
  try {
    const tasks = await api(`/api/patients/${encodeURIComponent(patientId)}/schedule`);
    if (openPatient !== patientId) return;
    scheduleOf = patientId;
    renderSchedule(tasks);
    message.textContent = "";
  } catch (error) {
    if (openPatient !== patientId) return;
    message.className = "message error";
    message.textContent = `Could not load the schedule: ${serverReason(error)}`;
  }
  scheduleChanged();
}

function renderSchedule(tasks) {
  document.getElementById("schedule-tasks").replaceChildren(...tasks.map(scheduleItem));
  scheduleChanged();
}

/** One key per task, as the server's warnings name them: the kind, or questionnaire:NAME. */
function taskKey(task) {
  return task.kind ?? `questionnaire:${task.questionnaire}`;
}

function taskOfKey(key) {
  return key.startsWith("questionnaire:") ? { questionnaire: key.slice("questionnaire:".length) } : { kind: key };
}

function taskLabel(task) {
  return task.kind ? LABELS[task.kind] ?? task.kind : `Questionnaire ${words(task.questionnaire)}`;
}

// ISO weekdays, as the API counts them: 1 is Monday.
const WEEKDAYS = [[1, "Mon", "Monday"], [2, "Tue", "Tuesday"], [3, "Wed", "Wednesday"], [4, "Thu", "Thursday"],
  [5, "Fri", "Friday"], [6, "Sat", "Saturday"], [7, "Sun", "Sunday"]];

/** A tick per weekday, all ticked for a task due every day (`weekdays` null). */
function weekdayChoice(label, weekdays) {
  return element("span", { class: "schedule-days", role: "group", "aria-label": `Days for ${label}` },
    ...WEEKDAYS.map(([day, short, name]) => element("label", {},
      element("input", { type: "checkbox", value: String(day), checked: !weekdays || weekdays.includes(day), "aria-label": `${label} on ${name}` }),
      short)));
}

function daysText(weekdays) {
  return weekdays ? ` on ${weekdays.map((d) => WEEKDAYS[d - 1][1]).join(", ")}` : "";
}

function scheduleItem({ kind = null, questionnaire = null, times = [], timezone = "Europe/Oslo", weekdays = null }) {
  const task = { kind, questionnaire };
  const label = taskLabel(task);
  const zone = timezone === "Europe/Oslo" ? null : element("span", { class: "count" }, ` (${timezone})`);
  const item = element("li", { class: "schedule-task", dataset: { task: taskKey(task), timezone } },
    element("span", { class: "schedule-kind" }, label, zone),
    element("span", { class: "schedule-times" }),
    weekdayChoice(label, weekdays),
    element("button", { type: "button", class: "link", "aria-label": `Add a time for ${label}`, onclick: () => addScheduleTime(item) }, "Add a time"),
    element("button", { type: "button", class: "link", "aria-label": `Remove ${label} from the schedule`, onclick: () => { item.remove(); scheduleChanged(); } }, "Remove"));
  for (const time of times) addScheduleTime(item, time, { focus: false });
  return item;
}

function addScheduleTime(item, value = "", { focus = true } = {}) {
  const input = element("input", { type: "time", step: "60", value });
  const slot = element("span", { class: "schedule-time" }, input,
    element("button", { type: "button", class: "link", onclick: () => { slot.remove(); numberTimes(item); } }, "×"));
  item.querySelector(".schedule-times").append(slot);
  numberTimes(item);
  if (focus) input.focus();
}

/** Each time's accessible name says which task and which of its times it is. */
function numberTimes(item) {
  const label = taskLabel(taskOfKey(item.dataset.task));
  item.querySelectorAll(".schedule-time").forEach((slot, i) => {
    slot.querySelector("input").setAttribute("aria-label", `${label} time ${i + 1}`);
    slot.querySelector("button").setAttribute("aria-label", `Remove ${label} time ${i + 1}`);
  });
}

/** The choice of tasks to add (those not scheduled yet: the kinds, and the questionnaires the
 * care team has coloured), the empty note, and whether saving is possible (not before the
 * saved schedule has been read: it would be overwritten). */
function scheduleChanged() {
  const items = [...document.getElementById("schedule-tasks").children];
  const scheduled = new Set(items.map((li) => li.dataset.task));
  const choice = document.getElementById("schedule-kind");
  const chosen = choice.value;
  const option = (task) => element("option", { value: taskKey(task) }, taskLabel(task));
  const kinds = Object.keys(LABELS).map((kind) => ({ kind })).filter((t) => !scheduled.has(taskKey(t)));
  const questionnaires = questionnaireNames().map((questionnaire) => ({ questionnaire }))
    .filter((t) => !scheduled.has(taskKey(t)));
  choice.replaceChildren(
    ...(kinds.length ? [element("optgroup", { label: "Measurements" }, ...kinds.map(option))] : []),
    ...(questionnaires.length ? [element("optgroup", { label: "Questionnaires" }, ...questionnaires.map(option))] : []));
  if ([...choice.options].some((o) => o.value === chosen)) choice.value = chosen;
  const loaded = scheduleOf !== null && scheduleOf === openPatient;
  document.getElementById("schedule-add").disabled = !loaded || !choice.options.length;
  document.getElementById("schedule-save").disabled = !loaded;
  document.getElementById("schedule-empty").hidden = !loaded || items.length > 0;
}

function addScheduledTask() {
  const key = document.getElementById("schedule-kind").value;
  if (!key) return;
  const item = scheduleItem(taskOfKey(key));
  document.getElementById("schedule-tasks").append(item);
  scheduleChanged();
  addScheduleTime(item);
}

async function saveSchedule() {
  const patientId = openPatient;
  if (scheduleOf !== patientId) return;
  const message = document.getElementById("schedule-message");
  const tasks = [...document.getElementById("schedule-tasks").children].map((li) => {
    const days = [...li.querySelectorAll(".schedule-days input:checked")].map((input) => Number(input.value));
    return {
      ...taskOfKey(li.dataset.task),
      times: [...li.querySelectorAll(".schedule-time input")].map((input) => input.value),
      timezone: li.dataset.timezone,
      weekdays: days.length === 7 ? null : days,
    };
  });
  const unfinished = tasks.find((t) => !t.times.length || t.times.includes(""));
  const dayless = tasks.find((t) => t.weekdays?.length === 0);
  if (dayless) {
    message.className = "message error";
    message.textContent = `Not saved: tick a day for ${taskLabel(dayless)}, or remove it.`;
    return;
  }
  if (unfinished) {
    const label = taskLabel(unfinished);
    message.className = "message error";
    message.textContent = unfinished.times.length
      ? `Not saved: fill in or remove the empty time for ${label}.`
      : `Not saved: ${label} has no time; add one or remove ${label}.`;
    return;
  }
  try {
    const saved = await api(`/api/patients/${encodeURIComponent(patientId)}/schedule`, { method: "PUT", json: tasks });
    if (openPatient !== patientId) return;
    renderSchedule(saved);
    message.className = "message";
    message.textContent = saved.length
      ? `Saved: ${saved.map((t) => `${taskLabel(t)} at ${t.times.join(", ")}${daysText(t.weekdays)}`).join("; ")}.`
      : "Saved: nothing is scheduled.";
  } catch (error) {
    message.className = "message error";
    message.textContent = `Not saved: ${serverReason(error)}`;
  }
}

async function main() {
  await requireRole("home_care_nurse");
  document.getElementById("thresholds").addEventListener("submit", saveThresholds);
  document.getElementById("thresholds").addEventListener("input", showThresholdReading);
  document.getElementById("threshold-kind").addEventListener("change", fillThresholdForm);
  // One visit however often the button is pressed while the first request is on its way.
  document.getElementById("visit").addEventListener("submit", guarded("Visit not scheduled", scheduleVisit));
  document.getElementById("spo2-scale").addEventListener("submit", saveScale);
  document.getElementById("instructions").addEventListener("submit", guarded("Instructions not saved", saveInstructions));
  document.getElementById("schedule").addEventListener("submit", guarded("Schedule not saved", saveSchedule));
  document.getElementById("schedule-add").addEventListener("click", addScheduledTask);
  document.getElementById("patient-close").addEventListener("click", () => {
    document.getElementById("patient").hidden = true;
    openPatient = null;
    shownPatient = null;
    scheduleOf = null;
  });
  // Each board read is audited per patient: re-read only on a change or after a reconnect.
  const refresh = () => refreshBoard().catch(() => showConnection("offline"));
  const showHubs = () => showHubsNeedingAttention({
    table: document.getElementById("hubs"),
    count: document.getElementById("hub-count"),
    patientControl: (id) => element("button", { type: "button", class: "link", onclick: () => openPatientView(id) }, id),
  }).catch((error) => notify(`Hubs not shown: ${explain(error)}.`));
  let connectedBefore = false;
  const alerts = new AlertList({
    list: document.getElementById("alerts"),
    count: document.getElementById("alert-count"),
    entityControl: (alert) => alert.entity_type === "patient"
      ? element("button", { type: "button", class: "link", onclick: () => openPatientView(alert.entity_id) }, alert.entity_id)
      : element("span", {}, alert.entity_id),
  });
  liveStream("/api/alerts/stream", "alert", {
    onEvent: (change, event) => {
      alerts.onEvent(change, event);
      if (change.alert?.entity_type === "hub") showHubs();
      refresh();
    },
    onState: showConnection,
    onOpen: () => {
      alerts.loadUntilRead();
      if (connectedBefore) refresh();
      connectedBefore = true;
    },
  });
  showHubs();
  setInterval(showHubs, BOARD_REFRESH_MS);
  wireAnswerColours({
    onSaved: () => {
      refresh();
      if (openPatient) loadAnswers(openPatient);
      scheduleChanged(); // a questionnaire coloured for the first time may now be scheduled
    },
  });
  // The schedule editor offers the coloured questionnaires once they are read.
  showAnswerColours().then(scheduleChanged);
  // The alerts do not wait for the board: a board that fails to load must not hide them.
  await refreshBoard({ urgent: true });
  setInterval(refresh, BOARD_REFRESH_MS);
}

start(main);
