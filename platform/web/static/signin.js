// The front door: sign in, then go to the one screen the role's job needs. A user who signed
// in with a one-time password (one an administrator set) chooses her own first: until then
// the API refuses her everything else.
import { HOME_OF_ROLE, describe } from "./common.js";

async function goHomeIfSignedIn() {
  const response = await fetch("/api/auth/me").catch(() => null);
  if (!response?.ok) return;
  const me = await response.json();
  if (me.must_change_password) askForOwnPassword(me, null);
  else location.replace(HOME_OF_ROLE[me.role]);
}

async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { response, body: await response.json().catch(() => ({})) };
}

document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const message = document.getElementById("login-error");
  message.textContent = "";
  let answer;
  try {
    answer = await postJson("/api/auth/login", { username: form.get("username"), password: form.get("password") });
  } catch {
    message.textContent = "No connection to the server. Check the network and try again.";
    return;
  }
  const { response, body } = answer;
  if (!response.ok) message.textContent = describe(body.detail, "Sign-in failed.");
  else if (body.must_change_password) askForOwnPassword(body, form.get("password"));
  else location.assign(HOME_OF_ROLE[body.role]);
});

/**
 * Replace the sign-in form with "Choose a new password". `oneTimePassword` is the one just
 * typed, so it is not asked again; null when she comes back to a session that has not chosen
 * yet (a reload), and then it is asked.
 */
function askForOwnPassword(me, oneTimePassword) {
  const form = document.getElementById("choose-password-template").content.firstElementChild.cloneNode(true);
  form.elements.username.value = me.username;
  if (oneTimePassword !== null) form.querySelector("#current-password-field").remove();
  form.addEventListener("submit", (event) => chooseOwnPassword(event, me, oneTimePassword));
  form.querySelector("#choose-later").addEventListener("click", signOut);
  document.getElementById("login").replaceWith(form);
  (form.elements.current_password ?? form.elements.new_password).focus();
}

async function chooseOwnPassword(event, me, oneTimePassword) {
  event.preventDefault();
  const form = event.target;
  const message = form.querySelector("#password-error");
  const fields = new FormData(form);
  message.textContent = "";
  if (fields.get("new_password") !== fields.get("repeat_password")) {
    message.textContent = "The two new passwords differ.";
    return;
  }
  const current = oneTimePassword ?? fields.get("current_password");
  const button = event.submitter;
  if (button) button.disabled = true;
  try {
    const { response, body } = await postJson("/api/auth/password", { current_password: current, new_password: fields.get("new_password") });
    if (response.ok) location.assign(HOME_OF_ROLE[me.role]);
    else if (response.status === 401) location.assign("/"); // the session ended meanwhile
    else message.textContent = describe(body.detail, "The password was not changed.");
  } catch {
    message.textContent = "No connection to the server. Check the network and try again.";
  } finally {
    if (button) button.disabled = false;
  }
}

async function signOut() {
  await fetch("/api/auth/logout", { method: "POST" }).catch(() => null);
  location.assign("/");
}

goHomeIfSignedIn();
