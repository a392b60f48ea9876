// Answer colours: per questionnaire, which answers to each question are green, yellow (call
// the patient) and red (act on the plan). Shared by every patient who answers it
// (clinical/answers.py); an answer not listed here is yellow on the board. The questionnaires
// and questions patients answer that no colour judges yet are listed, and offered for colouring.
import { api, element, explain } from "./common.js";

const COLOURS = ["green", "yellow", "red"];
const NEW = ""; // the value of "A new questionnaire…" and "A new question…" in their choices
const ANSWERED_DAYS = 30; // what "answered lately" means for the questionnaires not judged
let saved = []; // [{questionnaire, questions: [{link_id, green, yellow, red}]}] as last read
let answered = []; // the questionnaires answered lately: [{questionnaire, coloured, patients, questions, uncoloured_questions, ...}]
let editing = null; // the chosen questionnaire's questions, as edited: [{link_id, answers: [{answer, colour}]}]
let asked = []; // the questions patients answered in the chosen questionnaire, by linkId

/** Read the colours and what patients answer, and show the editor; the Save button stays off
 * until they are read. */
export async function showAnswerColours() {
  const message = document.getElementById("colours-message");
  document.getElementById("colours-save").disabled = true;
  try {
    [saved, answered] = await Promise.all([
      api("/api/questionnaires"),
      api(`/api/questionnaires/answered?days=${ANSWERED_DAYS}`),
    ]);
  } catch (error) {
    message.textContent = `Colours not read: ${explain(error)}.`;
    return;
  }
  showUnjudged();
  questionnaireChoice(document.getElementById("colours-questionnaire").value);
}

/** The questionnaires the care team has coloured, as last read: those a schedule may ask for. */
export function questionnaireNames() {
  return saved.map((q) => q.questionnaire);
}

/** `onSaved` runs after a save: the board and the open patient's answers are read anew. */
export function wireAnswerColours({ onSaved }) {
  document.getElementById("colours-questionnaire").addEventListener("change", (event) => edit(event.target.value));
  document.getElementById("colours-question").addEventListener("change", showNewQuestion);
  document.getElementById("colours-add").addEventListener("submit", (event) => {
    event.preventDefault();
    addAnswer(event.target);
  });
  document.getElementById("colours-save").addEventListener("click", () => save().then((stored) => stored && onSaved()));
}

/** What patients answered lately that no colour judges: a questionnaire nobody has coloured,
 * or a question a new version of a coloured one asks. Those answers show on the board uncoloured. */
function showUnjudged() {
  const notes = answered.filter((q) => q.uncoloured_questions.length).map((q) => (q.coloured
    ? `${words(q.questionnaire)}: ${q.uncoloured_questions.map(words).join(", ")}`
    : `${words(q.questionnaire)} (no colours; ${q.patients} ${q.patients === 1 ? "patient" : "patients"})`));
  document.getElementById("colours-unjudged").textContent = notes.length
    ? `Answered in the last ${ANSWERED_DAYS} days and judged by no colour: ${notes.join("; ")}.`
    : "";
}

/** The coloured questionnaires, those answered without colours, and a new one. */
function questionnaireChoice(chosen) {
  const choice = document.getElementById("colours-questionnaire");
  const option = (q) => element("option", { value: q.questionnaire }, words(q.questionnaire));
  const uncoloured = answered.filter((q) => !saved.some((s) => s.questionnaire === q.questionnaire));
  choice.replaceChildren(
    ...saved.map(option),
    ...(uncoloured.length ? [element("optgroup", { label: "Answered, no colours yet" }, ...uncoloured.map(option))] : []),
    element("option", { value: NEW }, "A new questionnaire…"));
  const names = [...saved, ...uncoloured].map((q) => q.questionnaire);
  choice.value = names.includes(chosen) ? chosen : (names[0] ?? NEW);
  edit(choice.value);
}

function edit(name) {
  const isNew = name === NEW;
  document.getElementById("colours-new-questionnaire").hidden = !isNew;
  const questionnaire = saved.find((q) => q.questionnaire === name);
  editing = (questionnaire?.questions ?? []).map((q) => ({
    link_id: q.link_id,
    answers: COLOURS.flatMap((colour) => q[colour].map((answer) => ({ answer, colour }))),
  }));
  asked = answered.find((q) => q.questionnaire === name)?.questions ?? [];
  questionChoice(editing[0]?.link_id ?? asked[0] ?? NEW);
  let note = "";
  if (isNew) note = "Name the questionnaire as the hub does, then give its answers colours.";
  else if (!questionnaire) note = `${words(name)} has no colours yet: its answers show on the board but are not judged.`;
  document.getElementById("colours-message").textContent = note;
  document.getElementById("colours-save").disabled = false;
  render();
}

function render() {
  document.getElementById("colours").replaceChildren(...editing.flatMap((question) =>
    question.answers.map((entry, index) => element("tr", { class: entry.colour },
      element("th", { scope: "row" }, index === 0 ? words(question.link_id) : ""),
      element("td", {}, said(entry.answer)),
      element("td", {}, colourChoice(question, entry)),
      element("td", {}, removeButton(question, entry))))));
}

/** An answer taken off the list is yellow again when given; a question keeps at least one
 * answer (the server refuses a question with none coloured). */
function removeButton(question, entry) {
  const only = question.answers.length === 1;
  return element("button", {
    type: "button",
    class: "link",
    disabled: only,
    title: only ? "A question keeps at least one answer" : null,
    "aria-label": `Remove ${words(question.link_id)}: ${said(entry.answer)}`,
    onclick: () => {
      question.answers = question.answers.filter((a) => a !== entry);
      document.getElementById("colours-message").textContent = "Not saved yet.";
      render();
    },
  }, "Remove");
}

function colourChoice(question, entry) {
  const label = `${words(question.link_id)}: ${said(entry.answer)}`;
  const select = element("select", { "aria-label": label },
    ...COLOURS.map((colour) => element("option", { value: colour }, colour)));
  select.value = entry.colour;
  select.addEventListener("change", () => {
    entry.colour = select.value;
    select.closest("tr").className = entry.colour;
    document.getElementById("colours-message").textContent = "Not saved yet.";
  });
  return select;
}

/** The questions to add an answer to: those coloured, those patients answered that have no
 * colours yet (their answers show uncoloured on the board), and a new one the hub asks. */
function questionChoice(chosen) {
  const choice = document.getElementById("colours-question");
  const option = (linkId) => element("option", { value: linkId }, words(linkId));
  const uncoloured = asked.filter((linkId) => !editing.some((q) => q.link_id === linkId));
  choice.replaceChildren(
    ...editing.map((q) => option(q.link_id)),
    ...(uncoloured.length ? [element("optgroup", { label: "Answered, no colours yet" }, ...uncoloured.map(option))] : []),
    element("option", { value: NEW }, "A new question…"));
  choice.value = chosen;
  showNewQuestion();
}

function showNewQuestion() {
  const isNew = document.getElementById("colours-question").value === NEW;
  document.getElementById("colours-new-question").hidden = !isNew;
}

/** A new question, by the linkId the hub sends ("sputum_colour"), with its first answer:
 * yes / no, a number, or words. */
function newQuestion(form, message) {
  const linkId = form.elements.link_id.value.trim().replaceAll(" ", "_");
  if (!linkId) {
    message.textContent = "Name the new question as the hub sends it, then its first answer.";
    return null;
  }
  if (editing.some((q) => q.link_id === linkId)) {
    message.textContent = `${words(linkId)} is a question already: choose it to add an answer.`;
    return null;
  }
  return { link_id: linkId, answers: [] };
}

/** A question's first answer sets its type (yes/no, a number or text); later answers take it. */
function addAnswer(form) {
  const message = document.getElementById("colours-message");
  const picked = form.elements.question.value;
  const isNew = picked === NEW;
  const question = isNew
    ? newQuestion(form, message)
    : (editing.find((q) => q.link_id === picked) ?? { link_id: picked, answers: [] });
  if (!question) return;
  const typed = form.elements.answer.value.trim();
  const first = question.answers.length === 0;
  const answer = first ? firstAnswer(typed) : parsed(typed, question.answers.map((a) => a.answer));
  if (first && answer === undefined) {
    message.textContent = `Type the first answer to ${words(question.link_id)}: yes / no, a number, or words.`;
    return;
  }
  if (answer === undefined) {
    message.textContent = `“${typed}” is not an answer to ${words(question.link_id)}: it takes ${kindOf(question.answers[0].answer)}.`;
    return;
  }
  if (question.answers.some((a) => a.answer === answer)) {
    message.textContent = `${words(question.link_id)} has the answer “${said(answer)}” already.`;
    return;
  }
  question.answers.push({ answer, colour: form.elements.colour.value });
  if (first) {
    editing.push(question);
    if (isNew) form.elements.link_id.value = "";
    questionChoice(question.link_id);
  }
  form.elements.answer.value = "";
  message.textContent = "Not saved yet.";
  render();
}

/** A new question's first answer sets its type: yes / no, a number, or words. */
function firstAnswer(typed) {
  if (!typed) return undefined;
  const yesNo = { yes: true, no: false }[typed.toLowerCase()];
  if (yesNo !== undefined) return yesNo;
  return Number.isFinite(Number(typed)) ? Number(typed) : typed.replaceAll(" ", "_");
}

function parsed(typed, others) {
  if (!typed) return undefined;
  const kind = kindOf(others[0]);
  if (kind === "yes or no") return { yes: true, no: false }[typed.toLowerCase()];
  if (kind === "a number") return Number.isFinite(Number(typed)) ? Number(typed) : undefined;
  return typed.replaceAll(" ", "_"); // "much worse" as the hub codes it
}

function kindOf(answer) {
  if (typeof answer === "boolean") return "yes or no";
  return typeof answer === "number" ? "a number" : "text";
}

/** The questionnaire being edited, by name; a new one as typed ("heart weekly" → "heart-weekly"),
 * or null with the reason shown. */
function questionnaireName(message) {
  const chosen = document.getElementById("colours-questionnaire").value;
  if (chosen !== NEW) return chosen;
  const name = document.getElementById("colours-questionnaire-name").value.trim().replaceAll(" ", "-");
  if (!name) {
    message.textContent = "Name the new questionnaire as the hub does.";
    return null;
  }
  if ([...saved, ...answered].some((q) => q.questionnaire === name)) {
    message.textContent = `${words(name)} is a questionnaire already: choose it above.`;
    return null;
  }
  return name;
}

async function save() {
  const message = document.getElementById("colours-message");
  const name = questionnaireName(message);
  if (name === null) return false;
  if (!editing.length) {
    message.textContent = "Give at least one answer a colour, then save.";
    return false;
  }
  const questions = editing.map((q) => ({
    link_id: q.link_id,
    ...Object.fromEntries(COLOURS.map((colour) => [colour, q.answers.filter((a) => a.colour === colour).map((a) => a.answer)])),
  }));
  let stored;
  try {
    stored = await api(`/api/questionnaires/${encodeURIComponent(name)}`, { method: "PUT", json: { questions } });
  } catch (error) {
    message.textContent = `Not saved: ${explain(error)}.`;
    return false;
  }
  saved = [...saved.filter((q) => q.questionnaire !== name), stored]
    .sort((a, b) => a.questionnaire.localeCompare(b.questionnaire));
  const coloured = new Set(stored.questions.map((q) => q.link_id));
  answered = answered.map((q) => (q.questionnaire === name
    ? { ...q, coloured: true, uncoloured_questions: q.uncoloured_questions.filter((id) => !coloured.has(id)) }
    : q));
  document.getElementById("colours-questionnaire-name").value = "";
  showUnjudged();
  questionnaireChoice(name);
  message.textContent = `Saved: ${words(name)} answers are read by these colours for every patient.`;
  return true;
}

/** An answer as a nurse reads it: yes / no, "much worse". */
export function said(answer) {
  if (answer === true) return "yes";
  if (answer === false) return "no";
  return typeof answer === "string" ? words(answer) : String(answer);
}

/** "breathless_lying_flat" or "copd-daily" as a nurse reads it. */
export function words(code) {
  return code.replaceAll("_", " ").replaceAll("-", " ");
}
