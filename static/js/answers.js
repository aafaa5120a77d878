// The answer controls of each question kind. `submit(fields)` sends the answer; `say(text)` shows a hint.
// Choices are marked by colour AND shape; multi-select buttons use aria-pressed.
import { choiceText, h, shapeIcon, shapeName, t } from "./ui.js";

/** The controls for question `q`; single, truefalse and poll get one big button per choice. */
export function answerControls(q, submit, say) {
  if (q.kind === "multi") return multiControls(q, submit, say);
  if (q.kind === "text") return textControls(submit);
  if (q.kind === "slider") return sliderControls(q, submit);
  return h(
    "div",
    { class: "answer-grid", role: "group", "aria-label": q.text },
    q.choices.map((choice, i) =>
      h(
        "button",
        {
          type: "button",
          class: `answer-btn shape-${shapeName(i)}`,
          dataset: { choiceId: String(choice.id) },
          onclick: (event) => {
            const button = event.currentTarget;
            if (!submit({ choice: choice.id })) return;
            button.classList.add("is-chosen");
            button.setAttribute("aria-pressed", "true");
          },
        },
        shapeIcon(i),
        h("span", { class: "answer-text" }, choiceText(q.kind, choice)),
      ),
    ),
  );
}

function multiControls(q, submit, say) {
  const chosen = new Set();
  const buttons = q.choices.map((choice, i) =>
    h(
      "button",
      {
        type: "button",
        class: `answer-btn shape-${shapeName(i)}`,
        "aria-pressed": "false",
        dataset: { choiceId: String(choice.id) },
        onclick: (event) => {
          const on = !chosen.has(choice.id);
          if (on) chosen.add(choice.id);
          else chosen.delete(choice.id);
          event.currentTarget.setAttribute("aria-pressed", String(on));
        },
      },
      shapeIcon(i),
      h("span", { class: "answer-text" }, choice.text),
      h("span", { class: "check", "aria-hidden": "true" }, "✓"),
    ),
  );
  const form = h(
    "form",
    {
      class: "answer-form",
      onsubmit: (event) => {
        event.preventDefault();
        if (chosen.size === 0) {
          say(t("pick_one"));
          return;
        }
        submit({ choices: [...chosen].sort((a, b) => a - b) });
      },
    },
    h("div", { class: "answer-grid", role: "group", "aria-label": q.text }, buttons),
    h("button", { type: "submit", class: "btn primary big submit-answer" }, t("submit")),
  );
  return form;
}

function textControls(submit) {
  const input = h("input", {
    id: "text-answer",
    type: "text",
    maxlength: "200",
    autocomplete: "off",
    autocapitalize: "off",
    required: true,
  });
  return h(
    "form",
    {
      class: "answer-form",
      onsubmit: (event) => {
        event.preventDefault();
        const text = input.value.trim();
        if (text) submit({ text });
      },
    },
    h("label", { for: "text-answer" }, t("type_answer")),
    input,
    h("button", { type: "submit", class: "btn primary big submit-answer" }, t("submit")),
  );
}

function sliderControls(q, submit) {
  const min = Number(q.min);
  const max = Number(q.max);
  const whole = Number.isInteger(min) && Number.isInteger(max);
  const step = whole ? 1 : (max - min) / 100;
  const start = whole ? Math.round((min + max) / 2) : (min + max) / 2;
  const output = h("output", { id: "slider-output", for: "slider-answer", class: "slider-value" }, String(start));
  const input = h("input", {
    id: "slider-answer",
    type: "range",
    min: String(min),
    max: String(max),
    step: String(step),
    value: String(start),
    oninput: (event) => {
      output.textContent = event.currentTarget.value;
    },
  });
  return h(
    "form",
    {
      class: "answer-form slider-form",
      onsubmit: (event) => {
        event.preventDefault();
        submit({ value: Number(input.value) });
      },
    },
    h("label", { for: "slider-answer" }, t("slider_value")),
    output,
    h(
      "div",
      { class: "slider-row" },
      h("span", { class: "slider-min" }, String(min)),
      input,
      h("span", { class: "slider-max" }, String(max)),
    ),
    h("button", { type: "submit", class: "btn primary big submit-answer" }, t("submit")),
  );
}
