// Shared by every screen: the signed-in user, role gates, JSON calls and live streams.

export const HOME_OF_ROLE = {
  operator: "/operator.html",
  night_nurse: "/night.html",
  home_care_nurse: "/homecare.html",
  infection_control: "/hygiene.html",
  admin: "/admin.html",
};

export class HttpError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

/** FastAPI's `detail`: a sentence, or a list of validation problems, each with its field. */
export function describe(detail, fallback = undefined) {
  if (Array.isArray(detail)) return detail.map((d) => `${d.loc?.at(-1) ?? ""}: ${d.msg}`).join("; ");
  return detail ?? fallback;
}

/** Thrown once the browser is already on its way to another page (sign-in, the role's own
 * screen): there is nothing to show on this one. */
export class Redirected extends HttpError {}

// A read with no whole answer after this long counts as no connection: on a phone whose signal
// carries nothing, the screen would otherwise say "Loading…" for ever instead of showing what
// it kept. Writes are never cut short: the server may be carrying them out.
const READ_TIMEOUT_MS = 15_000;

/** A JSON call; a 401 sends the browser to the sign-in page. */
export async function api(url, options = {}) {
  const init = { ...options, headers: { Accept: "application/json", ...(options.headers ?? {}) } };
  if (options.json !== undefined) {
    init.method = init.method ?? "POST";
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.json);
  }
  const reading = (init.method ?? "GET").toUpperCase() === "GET" && !init.signal;
  const giveUp = reading ? new AbortController() : null;
  if (giveUp) init.signal = giveUp.signal;
  const timer = giveUp ? setTimeout(() => giveUp.abort(), READ_TIMEOUT_MS) : undefined;
  try {
    const response = await fetch(url, init);
    if (response.status === 401) {
      toSignIn();
      throw new Redirected(401, "signed out");
    }
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new HttpError(response.status, describe(body.detail) ?? response.statusText);
    }
    return response.status === 204 ? null : await response.json();
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The signed-in user, if their role may use this screen; anyone else is sent to their own
 * screen before any data is asked for, so a page never even tries to show what the role
 * must not see (the API refuses it as well). With `offline`, a screen that must open without
 * signal (the night nurse's) uses the user it last saw when the server cannot be reached.
 */
export async function requireRole(role, { offline = false } = {}) {
  // The button stays disabled until it works, so a click never falls on a dead button; it
  // works before the user has been looked up.
  const signOutButton = document.getElementById("sign-out");
  signOutButton.addEventListener("click", signOut);
  signOutButton.disabled = false;
  const me = await lookUpMe(offline);
  if (me.must_change_password) {
    // Signed in with an administrator's one-time password: the sign-in page asks for her own.
    location.replace("/");
    throw new Redirected(403, "choose a new password first");
  }
  if (me.role !== role) {
    location.replace(HOME_OF_ROLE[me.role] ?? "/");
    throw new Redirected(403, "not this role's screen");
  }
  document.getElementById("who").textContent = me.display_name || me.username;
  return me;
}

const ME_KEY = "tilsyn.me";

/** Run when the server says the session is over (a 401), before the browser goes to sign-in:
 * a screen drops what it keeps on the phone for the user who was signed in. */
export const sessionEndHooks = [];

function toSignIn() {
  try {
    // Nobody is signed in now: without signal, the user last seen no longer opens a screen.
    localStorage.removeItem(ME_KEY);
    for (const hook of sessionEndHooks) hook();
  } finally {
    location.assign("/");
  }
}

async function lookUpMe(offline) {
  try {
    const me = await api("/api/auth/me");
    if (offline && !me.must_change_password) localStorage.setItem(ME_KEY, JSON.stringify(me));
    return me;
  } catch (error) {
    const known = offline && !(error instanceof HttpError) && localStorage.getItem(ME_KEY);
    if (!known) throw error;
    return JSON.parse(known);
  }
}

/** What went wrong, in words for the person at the screen. */
export function explain(error) {
  if (!(error instanceof HttpError)) return "no connection to the server";
  if (error.status === 403) return `your role may not do this (${error.message})`;
  return error.message;
}

/**
 * Run a screen's main function. A redirect is already under way; any other failure is shown
 * instead of leaving the screen at "Loading…".
 */
export function start(main) {
  main().catch((error) => {
    if (error instanceof Redirected) return;
    const summary = document.getElementById("summary");
    if (summary) summary.textContent = `Cannot load this screen: ${explain(error)}`;
  });
}

/** Say something went wrong, in the page's notice line (made below the header if the page
 * has none); it stays until the next notice or until it is dismissed. */
export function notify(text) {
  let notice = document.getElementById("notice");
  if (!notice) {
    notice = element("p", { id: "notice", class: "problem notice", role: "alert" });
    document.querySelector("header.bar")?.after(notice);
  }
  notice.replaceChildren(text, " ", element("button", {
    type: "button", class: "link", onclick: () => { notice.hidden = true; },
  }, "Dismiss"));
  notice.hidden = false;
}

/**
 * An action for a button or form: while it runs, more clicks (a double-click, Enter twice)
 * do nothing, and a failure is said in the notice line (`what`: "Acknowledge failed", ...).
 */
export function guarded(what, action) {
  let running = false;
  return async (...args) => {
    const event = args[0] instanceof Event ? args[0] : null;
    if (event?.type === "submit") event.preventDefault(); // also for a submit ignored below
    if (running) return;
    running = true;
    const control = event?.submitter ?? (event?.currentTarget instanceof HTMLButtonElement ? event.currentTarget : null);
    if (control) control.disabled = true;
    try {
      await action(...args);
    } catch (error) {
      if (!(error instanceof Redirected)) notify(`${what}: ${explain(error)}.`);
    } finally {
      running = false;
      if (control) control.disabled = false;
    }
  };
}

/** Checks a screen adds before sign-out clears the phone, e.g. for what is not sent yet. */
export const signOutGuards = [];

export async function signOut() {
  if (!signOutGuards.every((mayGo) => mayGo())) return;
  // Without signal the phone is still cleared; the session then ends at its expiry.
  await fetch("/api/auth/logout", { method: "POST" }).catch(() => null);
  localStorage.clear();
  location.assign("/");
}

/**
 * An EventSource that survives anything: the browser resumes with Last-Event-ID after a
 * dropped connection, and when it gives up (an HTTP error closes it for good) a fresh one is
 * opened after a pause. `onState` hears "live" or "offline"; `onOpen` runs after each
 * (re)connect so a screen can fetch what the stream would not replay. A stream the server
 * refuses is asked why: a session that ran out goes to sign-in (waiting would never bring
 * anything), any other refusal goes to `onRefused` with the server's reason, and is tried
 * again after `refusedRetryMs`. `eventName` may be a list: `onEvent` gets each event too.
 */
export function liveStream(url, eventName, { onEvent, onState, onOpen, onRefused, retryMs = 3000, refusedRetryMs = 30000 }) {
  let source = null;
  let stopped = false;
  const open = () => {
    source = new EventSource(url);
    source.addEventListener("open", () => {
      onState?.("live");
      onOpen?.();
    });
    for (const name of [eventName].flat()) {
      source.addEventListener(name, (event) => onEvent(JSON.parse(event.data), event));
    }
    source.addEventListener("error", async () => {
      onState?.("offline");
      if (source.readyState !== EventSource.CLOSED || stopped) return;
      const refusal = await whyRefused(url);
      if (refusal) onRefused?.(refusal);
      if (!stopped) setTimeout(open, refusal ? refusedRetryMs : retryMs);
    });
  };
  open();
  return { close: () => { stopped = true; source?.close(); } };
}

/** The HTTP error a stream's URL answers with now, or null if it opens (or there is no
 * network, which the browser's own retries cover). */
async function whyRefused(url) {
  const aborting = new AbortController();
  try {
    const response = await fetch(url, { headers: { Accept: "text/event-stream" }, signal: aborting.signal });
    if (response.ok) return null;
    if (response.status === 401) {
      toSignIn();
      return null;
    }
    const body = await response.json().catch(() => ({}));
    return new HttpError(response.status, describe(body.detail) ?? response.statusText);
  } catch {
    return null;
  } finally {
    aborting.abort();
  }
}

/** Show the state of the live connection in the header badge. */
export function showConnection(state) {
  const badge = document.getElementById("connection");
  badge.dataset.state = state;
  badge.textContent = state === "live" ? "Live" : "Offline – reconnecting…";
}

export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

export function formatTime(iso) {
  return iso
    ? new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
    : "–";
}

export function formatDateTime(iso) {
  return iso
    ? new Date(iso).toLocaleString([], { dateStyle: "short", timeStyle: "short", hourCycle: "h23" })
    : "–";
}

export function percent(fraction) {
  return fraction === null || fraction === undefined ? "–" : `${Math.round(fraction * 100)} %`;
}
