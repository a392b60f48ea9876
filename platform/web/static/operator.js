// The operations screen: the container map, live alerts, container detail with history and
// forecast (and a form to change the container), the ingest workers, the sensors that miss uplinks,
// and the collection routes (today's while the trucks are out, and the next
// collection day's) with a "plan now" action.
/* global L */
import { api, start, element, explain, formatDateTime, guarded, liveStream, notify, Redirected, requireRole, showConnection } from "./common.js";
import { AlertList } from "./alert-list.js";
import { ContainerMap } from "./container-map.js";
import { timeChart } from "./chart.js";

const QUARANTINE_REFRESH_MS = 30000;
const LINKS_REFRESH_MS = 5 * 60000;
const LINKS_LISTED = 10;
// The platform plans the next collection day by itself each afternoon: look for it now and then.
const ROUTES_REFRESH_MS = 5 * 60000;
const DAY_MS = 24 * 3600000;
const ROUTE_COLOURS = ["#1f5fbf", "#8e24aa", "#00897b", "#e65100", "#5d4037", "#c2185b"];
const containers = new Map(); // container_id -> latest state, for the summary line
const links = new Map(); // container_id -> how its sensor got through over the last 7 days
let map;
let fitted = false; // the first full read zooms to every container; later ones keep the view
let routeLayer = null;
// day_starts -> the newest plan known for that day: an older answer never replaces it. Today's
// plan stays beside the next day's once that is planned: its trucks are still out.
const routePlans = new Map();
let shownDay = null; // day_starts of the plan on screen
let planning = false;

const CONTAINERS_RETRY_MS = 5000;
let containersRetry = null;

// The full list on load and after every reconnect (what the live stream missed), then the
// stream's batches of changed containers. A list that cannot be read is tried again until it
// is, and the summary says the map may be out of date meanwhile: the stream alone would
// leave every container that changed while the screen was away as it was.
function refreshContainersUntilRead() {
  clearTimeout(containersRetry);
  refreshContainers().catch(() => {
    document.getElementById("summary").textContent = "The map may be out of date: containers could not be read; trying again…";
    document.getElementById("summary").classList.add("problem");
    containersRetry = setTimeout(refreshContainersUntilRead, CONTAINERS_RETRY_MS);
  });
}

async function refreshContainers() {
  const started = performance.now();
  const known = new Set(containers.keys()); // one the stream adds meanwhile is not in the list
  const states = await api("/api/containers");
  const listed = new Set(states.map((state) => state.container_id));
  forgetContainers([...known].filter((id) => !listed.has(id))); // retired while away
  const { added } = applyStates(states);
  if (!fitted && added > 0) {
    map.fitAll();
    fitted = true;
  }
  document.getElementById("summary").dataset.renderMs = (performance.now() - started).toFixed(0);
}

// Containers taken out of service leave the map, the list and the detail panel.
function forgetContainers(containerIds) {
  const gone = containerIds.filter((id) => containers.delete(id));
  if (!gone.length) return;
  map.remove(gone);
  showContainerIds();
  showSummary();
}

// Retired by someone else: a detail panel showing one of them closes. The one retired from
// this panel stays open (the stream tells of it too), to be put back if that was a mistake.
function retiredElsewhere(containerIds) {
  forgetContainers(containerIds);
  const closes = shown && shown.container_id !== retiredHere && containerIds.includes(shown.container_id);
  if (closes) document.getElementById("detail").hidden = true;
}

function showContainerIds() {
  document.getElementById("container-ids").replaceChildren(
    ...[...containers.keys()].sort().map((id) => element("option", { value: id })));
}

function showSummary() {
  const full = [...containers.values()].filter((c) => (c.fill_percent ?? 0) >= 80).length;
  document.getElementById("summary").textContent =
    `${containers.size} containers · ${full} at 80 % or more`;
  document.getElementById("summary").classList.remove("problem");
}

function applyStates(allStates) {
  // A full list read before a stream batch may arrive after it: an older state is left out.
  const states = allStates.filter((state) => !(containers.get(state.container_id)?.time > state.time));
  const before = containers.size;
  for (const state of states) containers.set(state.container_id, state);
  if (containers.size !== before) showContainerIds();
  const applied = map.apply(states);
  showSummary();
  return applied;
}

async function loadQuarantine() {
  const items = await api("/api/ingest/quarantine?limit=10");
  const entries = items.map((q) => element("li", {}, `${formatDateTime(q.received_at)} · ${q.dev_eui ?? "?"} · ${q.reason}`));
  if (!entries.length) entries.push(element("li", {}, "None."));
  document.getElementById("quarantine").replaceChildren(...entries);
}

// Each ingest worker as it last reported: one that stopped or went quiet is shown in red,
// with its last database error if it had one.
async function loadIngest() {
  const status = await api("/api/ingest/status");
  const rows = status.workers.map((worker) => {
    const state = !worker.heard ? `not heard from since ${formatDateTime(worker.seen_at)}`
      : worker.running ? "running" : "stopped";
    const trouble = !worker.heard || !worker.running;
    return element("tr", { class: trouble ? "problem" : null },
      element("td", { title: `${worker.host}, process ${worker.pid}, started ${formatDateTime(worker.started_at)}` }, worker.worker_id),
      element("td", {}, state,
        worker.last_database_error ? element("div", { class: "count" }, `last database error: ${worker.last_database_error}`) : null,
        worker.caught_up ? element("div", { class: "count" }, `${worker.caught_up.toLocaleString("en-GB")} caught up after a broker restart`) : null),
      element("td", {}, worker.stored.toLocaleString("en-GB")),
      element("td", {}, worker.queue_depth.toLocaleString("en-GB")),
      element("td", {}, (worker.quarantined + worker.dead_letters).toLocaleString("en-GB")));
  });
  if (!rows.length) rows.push(element("tr", {}, element("td", { colspan: 5 }, "No ingest worker has reported in the last week.")));
  document.querySelector("#ingest-workers tbody").replaceChildren(...rows);
}

async function loadLinks() {
  links.clear();
  for (const link of await api("/api/containers/links?days=7")) links.set(link.container_id, link);
  const worst = [...links.values()]
    .filter((link) => (link.missing_percent ?? 0) >= weakLinkPercent())
    .slice(0, LINKS_LISTED);
  const entries = worst.map((link) => element("li", {},
    element("button", { type: "button", class: "link", onclick: () => select(link.container_id) }, link.container_id),
    ` · ${uplinks(link)} · last heard ${formatDateTime(link.last_heard)}`));
  if (!entries.length) entries.push(element("li", {}, `No sensor missed ${weakLinkPercent()} % of its uplinks or more.`));
  document.getElementById("links").replaceChildren(...entries);
  if (shown) showFacts(shown);
}

// A sensor missing this share of its uplinks or more is listed under "Sensor links": a
// gateway out of reach, or a sensor deep in a steel container. The API's share (/config.js).
const weakLinkPercent = () => window.TILSYN_CONFIG.weakLinkPercent;

function uplinks(link) {
  if (!link.received && !link.missing) return "no uplink stored";
  return `${link.missing} of ${link.received + link.missing} uplinks missing (${link.missing_percent.toFixed(0)} %)`;
}

// ---- container detail ---------------------------------------------------------------------

function fact(name, value) {
  return [element("dt", {}, name), element("dd", {}, value)];
}

const select = guarded("Could not show the container", showContainer);
let shown = null; // the state of the container in the detail panel
let retiredHere = null; // the container this panel retired, while it shows it

async function showContainer(containerId) {
  const [state, history] = await Promise.all([
    api(`/api/containers/${encodeURIComponent(containerId)}`),
    api(`/api/containers/${encodeURIComponent(containerId)}/history?hours=72`),
  ]);
  const panel = document.getElementById("detail");
  panel.hidden = false;
  closeEditor();
  showDetailStatus("");
  document.getElementById("detail-reinstate").hidden = true;
  retiredHere = null;
  showFacts(state);
  const forecast = history.forecast;
  document.getElementById("forecast").textContent = forecast.full_by
    ? `Full by ${formatDateTime(forecast.full_by)} (in ${forecast.hours_until_full.toFixed(0)} h from now)`
    : "Not filling up: no forecast.";
  const hourly = history.hourly;
  timeChart(document.getElementById("history-chart"), hourly.map((h) => h.bucket), [
    { label: "fill %", values: hourly.map((h) => h.fill_avg), colour: "#1f5fbf" },
  ], { yRange: [0, 100], bands: [{ from: 80, to: 100, colour: "rgba(198,40,40,0.08)" }] });
  map.focus(containerId);
}

function showFacts(state) {
  shown = state;
  document.getElementById("detail-title").textContent = `Container ${state.container_id}`;
  document.getElementById("detail-facts").replaceChildren(
    ...fact("Kind", state.waste_kind),
    ...fact("Fill", state.fill_percent === null ? "no reading" : `${state.fill_percent.toFixed(0)} %`),
    // A battery or tilt report is a reading too, but measures no fill: say how old the fill is.
    ...fact("Fill measured", formatDateTime(state.fill_at)),
    ...fact("Battery", state.battery_percent === null ? "–" : `${state.battery_percent} %`),
    ...fact("Address", state.address ?? "–"),
    ...fact("Last reading", formatDateTime(state.time)),
    ...fact("Uplinks, 7 days", links.has(state.container_id) ? uplinks(links.get(state.container_id)) : "–"));
}

// ---- changing a container -----------------------------------------------------------------

// What the form edits. The API checks every value; an empty number is sent as null, so the
// API's answer says what is missing.
const EDITED = ["address", "latitude", "longitude", "capacity_litres", "waste_kind",
  "empty_distance_mm", "full_distance_mm", "dev_eui", "codec"];
const NUMBERS = new Set(["latitude", "longitude", "capacity_litres", "empty_distance_mm", "full_distance_mm"]);

// The codecs a fill sensor may have, as the API lists them (/config.js).
function offerCodecs(codecs) {
  const select = document.getElementById("container-edit").elements.codec;
  for (const codec of codecs ?? []) select.append(new Option(codec, codec));
}

function openEditor() {
  fillEditor(shown);
  editMessage("");
  editMessage("", false, "retire-message");
  document.getElementById("edit-area").hidden = false;
  document.getElementById("detail-edit").hidden = true;
  loadChanges(shown.container_id);
}

function closeEditor() {
  document.getElementById("edit-area").hidden = true;
  document.getElementById("detail-edit").hidden = false;
}

// The state carries no codec: its field starts at "keep the sensor's".
function fillEditor(state) {
  const fields = document.getElementById("container-edit").elements;
  for (const name of EDITED) fields[name].value = state[name] ?? "";
}

function editMessage(text, problem = false, id = "edit-message") {
  const message = document.getElementById(id);
  message.textContent = text;
  message.classList.toggle("error", problem);
}

// Only what the operator changed is sent: a field she left alone stays as it is stored.
function editedFields(state) {
  const fields = document.getElementById("container-edit").elements;
  const body = {};
  for (const name of EDITED) {
    const text = fields[name].value.trim();
    const value = text === "" ? null : NUMBERS.has(name) ? Number(text) : text;
    if (value !== (state[name] ?? null)) body[name] = value;
  }
  return body;
}

const saveContainer = guarded("Could not save the container", async () => {
  const body = editedFields(shown);
  if (!Object.keys(body).length) {
    editMessage("Nothing to save: no field was changed.");
    return;
  }
  let state;
  try {
    state = await api(`/api/containers/${encodeURIComponent(shown.container_id)}`, { method: "PATCH", json: body });
  } catch (error) {
    if (error instanceof Redirected) throw error;
    editMessage(`Not saved: ${explain(error)}.`, true);
    return;
  }
  applyStates([state]); // the marker moves at once; other screens hear it from the stream
  showFacts(state);
  fillEditor(state);
  editMessage("Saved.");
  map.focus(state.container_id);
  await loadChanges(state.container_id);
});

// The API asks for a reason and answers why it refuses; the container leaves this map at
// once, and every other open map from the stream.
const retireContainer = guarded("Could not retire the container", async (event) => {
  const form = event.target;
  const reason = form.elements.reason.value.trim();
  if (!reason) {
    editMessage("Say why the container is retired.", true, "retire-message");
    return;
  }
  const containerId = shown.container_id;
  try {
    await api(`/api/containers/${encodeURIComponent(containerId)}/retire`, { method: "POST", json: { reason } });
  } catch (error) {
    if (error instanceof Redirected) throw error;
    editMessage(`Not retired: ${explain(error)}.`, true, "retire-message");
    return;
  }
  form.reset();
  forgetContainers([containerId]);
  closeEditor();
  document.getElementById("detail-edit").hidden = true;
  document.getElementById("detail-title").textContent = `Container ${containerId}, retired`;
  showDetailStatus("Retired: off the map and the routes. Its readings and changes are kept.");
  document.getElementById("detail-reinstate").hidden = false; // a retirement made by mistake
  retiredHere = containerId;
});

// Back with the sensor it had; the API says why not when that sensor is fitted elsewhere now.
const reinstateContainer = guarded("Could not put the container back", async () => {
  const containerId = shown.container_id;
  let state;
  try {
    state = await api(`/api/containers/${encodeURIComponent(containerId)}/reinstate`, { method: "POST" });
  } catch (error) {
    if (error instanceof Redirected) throw error;
    showDetailStatus(`Not put back: ${explain(error)}.`);
    return;
  }
  retiredHere = null;
  applyStates([state]);
  showFacts(state);
  document.getElementById("detail-reinstate").hidden = true;
  document.getElementById("detail-edit").hidden = false;
  showDetailStatus("Back in service: on the map and in the routes again.");
  map.focus(containerId);
});

function showDetailStatus(text) {
  const status = document.getElementById("detail-status");
  status.textContent = text;
  status.hidden = !text;
}

async function loadChanges(containerId) {
  const list = document.getElementById("container-changes");
  try {
    const changes = await api(`/api/containers/${encodeURIComponent(containerId)}/changes?limit=5`);
    list.replaceChildren(...(changes.length ? changes.map(changeItem) : [element("li", {}, "None.")]));
  } catch (error) {
    if (!(error instanceof Redirected)) list.replaceChildren(element("li", {}, `Changes not shown: ${explain(error)}.`));
  }
}

function changeItem(change) {
  const fields = change.changes
    .map((c) => `${c.field.replaceAll("_", " ")}: ${c.old ?? "–"} → ${c.new ?? "–"}`).join("; ");
  return element("li", {}, `${formatDateTime(change.changed_at)} · ${change.changed_by} · ${fields}`);
}

// ---- routes -------------------------------------------------------------------------------

// `day_ends` is the next local midnight (a day of 23 or 25 hours when the clocks change);
// plans stored before it was sent end 24 hours after they start.
function dayEnds(plan) {
  return plan.day_ends ? new Date(plan.day_ends).getTime() : new Date(plan.day_starts).getTime() + DAY_MS;
}

const isOver = (plan) => Date.now() >= dayEnds(plan);
const inProgress = (plan) => !isOver(plan) && Date.now() >= new Date(plan.day_starts).getTime();

function keepPlans(plans) {
  for (const plan of plans) {
    const known = routePlans.get(plan.day_starts);
    if (!known || plan.generated_at >= known.generated_at) routePlans.set(plan.day_starts, plan);
  }
  // A day that is over leaves the list once another day has a plan.
  const kept = [...routePlans.values()];
  if (kept.some((plan) => !isOver(plan))) {
    for (const plan of kept.filter(isOver)) routePlans.delete(plan.day_starts);
  }
  if (!routePlans.has(shownDay)) shownDay = [...routePlans.keys()].sort()[0] ?? null;
}

// One button per day with a plan, when there is more than one: today's routes while the
// trucks are out, and the next day's.
function showDays() {
  const days = [...routePlans.keys()].sort();
  const bar = document.getElementById("route-days");
  bar.hidden = days.length < 2;
  bar.replaceChildren(...days.map((day) => element("button", {
    type: "button", "aria-pressed": String(day === shownDay),
    onclick: () => { shownDay = day; showDays(); drawRoutes(routePlans.get(day)); },
  }, inProgress(routePlans.get(day)) ? "Today, trucks out" : planDay(day))));
}

function showPlans() {
  showDays();
  if (shownDay) drawRoutes(routePlans.get(shownDay));
}

function drawRoutes(plan) {
  routeLayer?.remove();
  // A plan whose day is over is history: it is neither drawn nor listed, and the status says
  // so, so nobody follows yesterday's routes.
  const over = isOver(plan);
  const vehicles = plan.features.map((f) => f.properties.vehicle);
  const colour = (vehicle) => ROUTE_COLOURS[vehicles.indexOf(vehicle) % ROUTE_COLOURS.length];
  routeLayer = over ? null : L.geoJSON(plan, { renderer: L.svg(), style: (f) => ({ color: colour(f.properties.vehicle), weight: 4, opacity: 0.85 }) });
  if (routeLayer && document.getElementById("show-routes").checked) routeLayer.addTo(map.map);
  document.querySelector("#routes tbody").replaceChildren(...(over ? [] : plan.features).map(({ properties: p }) =>
    element("tr", {},
      element("th", { scope: "row" }, element("span", { class: "swatch", style: `background:${colour(p.vehicle)}` }), p.vehicle),
      element("td", {}, p.km.toFixed(1)),
      element("td", {}, `${(p.load_litres / 1000).toFixed(1)} m³`),
      element("td", {}, String(p.stops)))));
  const km = plan.features.reduce((sum, f) => sum + f.properties.km, 0);
  // A truck carries one kind of waste: say how many go out for each.
  const perKind = {};
  for (const { properties: p } of plan.features) perKind[p.waste_kind] = (perKind[p.waste_kind] ?? 0) + 1;
  const kinds = Object.entries(perKind).map(([kind, trucks]) => `${kind} ${trucks}`).join(", ");
  const status = document.getElementById("routes-status");
  status.classList.toggle("problem", over);
  status.textContent = `${over ? "Past plan, for" : "For"} ${planDay(plan.day_starts)}: ` + (plan.features.length
    ? `${counted(plan.features.length, "truck")} (${kinds}) · ${km.toFixed(1)} km in all.`
    : "no routes planned.") + (over ? " Plan now for the next collection day." : "");
  const problems = document.getElementById("routes-problems");
  problems.hidden = plan.feasible !== false;
  problems.textContent = plan.feasible === false
    ? `Cannot serve every container that must be emptied: ${(plan.problems ?? []).join("; ")}.`
    : "";
  showContainers("left-out", "left out", over ? [] : plan.left_out ?? []);
  // Planned from a fill their silent sensors no longer report: worth a look on the way.
  showContainers("assumed", "planned on an assumed fill", (over ? [] : plan.assumed ?? []).map((item) => ({
    ...item, reason: `sensor silent since ${new Date(item.silent_since).toLocaleString("en-GB")}`,
  })));
}

// "1 truck", "4 trucks".
function counted(n, noun) {
  return `${n} ${n === 1 ? noun : `${noun}s`}`;
}

// The plan's day as the town's calendar has it: the date in `day_starts` is already local.
function planDay(iso) {
  const [year, month, day] = iso.slice(0, 10).split("-").map(Number);
  return new Date(Date.UTC(year, month - 1, day, 12))
    .toLocaleDateString("en-GB", { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" });
}

// Containers the operator should know about (left out, or planned on an assumed fill), each
// with its reason, so the operator can act.
function showContainers(blockId, what, items) {
  const block = document.getElementById(blockId);
  block.hidden = !items.length;
  block.querySelector("summary").textContent = `${counted(items.length, "container")} ${what}`;
  block.querySelector("ul").replaceChildren(...items.map((item) =>
    element("li", {},
      element("button", { type: "button", class: "link", onclick: () => select(item.container_id) }, item.container_id),
      ` ${item.reason}`)));
}

async function loadRoutes(action = "GET") {
  const status = document.getElementById("routes-status");
  const button = document.getElementById("plan-now");
  const wasDisabled = button.disabled;
  try {
    if (action === "POST") {
      planning = true;
      status.textContent = "Planning…";
      button.disabled = true; // one plan at a time
    }
    if (action === "POST") {
      const made = await api("/api/routes/plan", { method: "POST" });
      keepPlans([made]);
      shownDay = made.day_starts; // the plan just asked for
    } else {
      keepPlans(await api("/api/routes/plans"));
    }
    if (!routePlans.size) throw Object.assign(new Error("no route plan yet"), { status: 404 });
    showPlans();
  } catch (error) {
    if (!(action === "GET" && routePlans.size)) { // a failed look keeps the plans on screen
      status.textContent = error.status === 404
        ? "No route plan yet."
        : `${action === "POST" ? "Route planning failed" : "Could not read the route plan"}: ${error.message}`;
    }
  } finally {
    if (action === "POST") planning = false;
    button.disabled = wasDisabled;
  }
}

async function main() {
  await requireRole("operator");
  map = new ContainerMap(document.getElementById("map"), window.TILSYN_CONFIG, select);
  window.operatorMap = map;
  window.operatorApply = applyStates; // for tests: what a stream batch or a full list does
  await map.addBackground(window.TILSYN_CONFIG);
  document.getElementById("detail-close").addEventListener("click", () => { document.getElementById("detail").hidden = true; });
  // Only operators open this screen, and they may manage containers (auth/roles.py): the
  // form is theirs. The API decides all the same, and its refusal is shown in the form.
  offerCodecs(window.TILSYN_CONFIG.fillSensorCodecs);
  document.getElementById("detail-edit").addEventListener("click", openEditor);
  document.getElementById("detail-reinstate").addEventListener("click", reinstateContainer);
  document.getElementById("edit-cancel").addEventListener("click", closeEditor);
  document.getElementById("container-edit").addEventListener("submit", saveContainer);
  document.getElementById("container-retire").addEventListener("submit", retireContainer);
  document.getElementById("plan-now").addEventListener("click", () => loadRoutes("POST"));
  // The map's markers are drawn on a canvas no keyboard reaches: a container is found by id.
  document.getElementById("find-container").addEventListener("submit", (event) => {
    event.preventDefault();
    const id = new FormData(event.target).get("container_id").trim();
    if (!containers.has(id)) {
      notify(`No container ${id}.`);
      return;
    }
    map.focus(id);
    select(id);
  });
  document.getElementById("show-routes").addEventListener("change", (event) => {
    if (routeLayer) event.target.checked ? routeLayer.addTo(map.map) : routeLayer.remove();
  });
  // The full list is read each time the fill stream (re)opens, so nothing between the read
  // and the stream's first batch is missed.
  liveStream("/api/containers/stream", ["fill", "retired"], {
    onEvent: (data, event) => (event.type === "retired" ? retiredElsewhere(data) : applyStates(data)),
    onOpen: refreshContainersUntilRead,
  });
  // Alerts first and on their own: nothing else the screen loads may keep them from it.
  const alerts = new AlertList({
    list: document.getElementById("alerts"),
    count: document.getElementById("alert-count"),
    entityControl: (alert) => alert.entity_type === "container"
      ? element("button", { type: "button", class: "link", onclick: () => select(alert.entity_id) }, alert.entity_id)
      : element("span", {}, alert.entity_id),
  });
  liveStream("/api/alerts/stream", "alert", {
    onEvent: (change, event) => alerts.onEvent(change, event),
    onState: showConnection,
    onOpen: () => alerts.loadUntilRead(),
  });
  // "Plan now" waits for the stored plan: a click before it was wired did nothing, and the
  // stored plan's answer could overwrite the new one's.
  const planNow = document.getElementById("plan-now");
  loadRoutes().then(() => { planNow.disabled = false; });
  loadQuarantine().catch((error) => notify(`Unknown devices not shown: ${error.message}.`));
  setInterval(() => loadQuarantine().catch(() => {}), QUARANTINE_REFRESH_MS);
  loadIngest().catch((error) => notify(`Ingest workers not shown: ${error.message}.`));
  setInterval(() => loadIngest().catch(() => {}), QUARANTINE_REFRESH_MS);
  loadLinks().catch((error) => notify(`Sensor links not shown: ${error.message}.`));
  setInterval(() => loadLinks().catch(() => {}), LINKS_REFRESH_MS);
  setInterval(() => { if (!planning) loadRoutes(); }, ROUTES_REFRESH_MS);
}

start(main);
