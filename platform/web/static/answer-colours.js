// Answer colours: per questionnaire, which answers to each question are green, yellow (call
// the patient) and red (act on the plan). Shared by every patient who answers it
// (clinical/answers.py); an answer not listed here is yellow on the board.
import { api, element, explain } from "./common.js";

const COLOURS = ["green", "yellow", "red"];
const NEW_QUESTION = ""; // the question choice's value for "A new question…"
let saved = []; // [{questionnaire, questions: [{link_id, green, yellow, red}]}] as last read
let editing = null; // the chosen questionnaire's questions, as edited: [{link_id, answers: [{answer, colour}]}]

/** Read the colours and show the editor; the Save button stays off until they are read. */
export async function showAnswerColours() {
  const choice = document.getElementById("colours-questionnaire");
  const message = document.getElementById("colours-message");
  document.getElementById("colours-save").disabled = true;
  try {
    saved = await api("/api/questionnaires");
  } catch (error) {
    message.textContent = `Colours not read: ${explain(error)}.`;
    return;
  }
  const chosen = choice.value;
  choice.replaceChildren(...saved.map((q) => element("option", { value: q.questionnaire }, words(q.questionnaire))));
  if (!saved.length) {
    message.textContent = "No questionnaire has colours yet; answers are shown but not judged.";
    document.getElementById("colours").replaceChildren();
    return;
  }
  if (saved.some((q) => q.questionnaire === chosen)) choice.value = chosen;
  edit(choice.value);
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

function edit(name) {
  const questionnaire = saved.find((q) => q.questionnaire === name);
  editing = questionnaire.questions.map((q) => ({
    link_id: q.link_id,
    answers: COLOURS.flatMap((colour) => q[colour].map((answer) => ({ answer, colour }))),
  }));
  questionChoice(editing[0].link_id);
  document.getElementById("colours-message").textContent = "";
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

/** The questions to add an answer to, and a new one: a question the hub asks that the colours
 * do not know yet (its answers show yellow on the board until it is coloured). */
function questionChoice(chosen) {
  const choice = document.getElementById("colours-question");
  choice.replaceChildren(
    ...editing.map((q) => element("option", { value: q.link_id }, words(q.link_id))),
    element("option", { value: NEW_QUESTION }, "A new question…"));
  choice.value = chosen;
  showNewQuestion();
}

function showNewQuestion() {
  const isNew = document.getElementById("colours-question").value === NEW_QUESTION;
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

/** A new answer takes the type of the question's other answers: yes/no, a number or text. */
function addAnswer(form) {
  const message = document.getElementById("colours-message");
  const isNew = form.elements.question.value === NEW_QUESTION;
  const question = isNew ? newQuestion(form, message) : editing.find((q) => q.link_id === form.elements.question.value);
  if (!question) return;
  const typed = form.elements.answer.value.trim();
  const answer = isNew ? firstAnswer(typed) : parsed(typed, question.answers.map((a) => a.answer));
  if (isNew && answer === undefined) {
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
  if (isNew) {
    editing.push(question);
    form.elements.link_id.value = "";
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

async function save() {
  const name = document.getElementById("colours-questionnaire").value;
  const message = document.getElementById("colours-message");
  const questions = editing.map((q) => ({
    link_id: q.link_id,
    ...Object.fromEntries(COLOURS.map((colour) => [colour, q.answers.filter((a) => a.colour === colour).map((a) => a.answer)])),
  }));
  try {
    const stored = await api(`/api/questionnaires/${encodeURIComponent(name)}`, { method: "PUT", json: { questions } });
    saved = saved.map((q) => (q.questionnaire === name ? stored : q));
    message.textContent = `Saved: ${words(name)} answers are read by these colours for every patient.`;
    return true;
  } catch (error) {
    message.textContent = `Not saved: ${explain(error)}.`;
    return false;
  }
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
