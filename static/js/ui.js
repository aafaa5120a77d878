// Small DOM helpers shared by the pages. Text always goes in through text nodes, never innerHTML.

let strings = null;

/** A translated string from the page's catalogue (#qz-strings), with {name} placeholders filled. */
export function t(key, vars = {}) {
  if (strings === null) {
    const node = document.getElementById("qz-strings");
    strings = node ? JSON.parse(node.textContent) : {};
  }
  const text = strings[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/** The page's JSON config (#qz-config). */
export function config() {
  const node = document.getElementById("qz-config");
  return node ? JSON.parse(node.textContent) : {};
}

/** h("li", {class: "x", onclick: fn}, "text", child): an element; strings become text nodes. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "style") Object.assign(el.style, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** Shows one `.view` inside `root` and hides the others. */
export function showView(root, id) {
  for (const view of root.querySelectorAll(":scope > .view, :scope .views > .view")) {
    view.hidden = view.id !== id;
  }
  root.dataset.view = id;
}

export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? "";
}

/** The page-wide connection banner (role=status, aria-live). */
export function connectionBanner(state) {
  const banner = document.getElementById("connection-status");
  if (!banner) return;
  const text = state === "reconnecting" ? t("reconnecting") : "";
  if (banner.textContent !== text) banner.textContent = text;
  banner.classList.toggle("is-active", !!text);
}

// Answer shapes: colour AND shape, so no answer depends on colour alone.
const SHAPES = [
  ["triangle", "M12 3 L22 21 L2 21 Z"],
  ["diamond", "M12 2 L22 12 L12 22 L2 12 Z"],
  ["circle", "M12 2 A10 10 0 1 1 11.99 2 Z"],
  ["square", "M3 3 H21 V21 H3 Z"],
  ["star", "M12 2 L14.9 8.6 L22 9.3 L16.6 14 L18.2 21 L12 17.3 L5.8 21 L7.4 14 L2 9.3 L9.1 8.6 Z"],
  ["hexagon", "M7 3 H17 L22 12 L17 21 H7 L2 12 Z"],
];

export function shapeName(index) {
  return SHAPES[index % SHAPES.length][0];
}

export function shapeIcon(index) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "shape");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", SHAPES[index % SHAPES.length][1]);
  svg.append(path);
  return svg;
}

/** The label of a choice: truefalse choices are translated on the client. */
export function choiceText(kind, choice) {
  if (kind === "truefalse" && (choice.text === "True" || choice.text === "False")) {
    return t(choice.text.toLowerCase());
  }
  return choice.text;
}

/**
 * A countdown bar driven by the server's deadline and the socket's clock estimate.
 * Visible seconds update every frame; the screen-reader region speaks only at 10, 5 and 0 s.
 */
export class Countdown {
  constructor(root, clock) {
    this.root = root;
    this.clock = clock;
    this.bar = root.querySelector(".countdown-fill");
    this.secs = root.querySelector(".countdown-secs");
    this.live = root.querySelector(".countdown-live");
    this.frame = null;
  }

  start(deadline, totalMs) {
    this.stop();
    this.deadline = deadline;
    this.totalMs = Math.max(1, totalMs);
    this.lastSecs = null;
    this.root.hidden = false;
    const tick = () => {
      const left = Math.max(0, this.deadline - this.clock.now());
      const secs = Math.ceil(left / 1000);
      this.bar.style.transform = `scaleX(${Math.min(1, left / this.totalMs)})`;
      this.root.classList.toggle("is-low", left <= 5000);
      if (secs !== this.lastSecs) {
        this.lastSecs = secs;
        this.secs.textContent = t("seconds", { n: secs });
        this.root.setAttribute("aria-valuenow", String(secs));
        if (secs === 10 || secs === 5) this.live.textContent = t("seconds_left", { n: secs });
        if (secs === 0) this.live.textContent = t("time_up");
      }
      if (left > 0) this.frame = requestAnimationFrame(tick);
    };
    this.root.setAttribute("aria-valuemax", String(Math.ceil(this.totalMs / 1000)));
    this.live.textContent = "";
    tick();
  }

  stop() {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = null;
  }

  get remainingMs() {
    return Math.max(0, (this.deadline ?? 0) - this.clock.now());
  }
}

/** Renders a horizontal bar chart: rows of {label, count, correct, icon}. */
export function barChart(rows) {
  const max = Math.max(1, ...rows.map((r) => r.count));
  return h(
    "ul",
    { class: "chart" },
    rows.map((row, i) =>
      h(
        "li",
        { class: `chart-row ${row.shape ? `shape-${row.shape}` : ""} ${row.correct ? "is-correct" : ""}` },
        h(
          "span",
          { class: "chart-label" },
          row.icon ?? null,
          h("span", {}, row.label),
          row.correct ? h("span", { class: "tick", "aria-label": t("correct") }, "✓") : null,
        ),
        h(
          "span",
          { class: "chart-track", "aria-hidden": "true" },
          h("span", { class: "chart-bar", style: { width: `${(100 * row.count) / max}%` } }),
        ),
        h("span", { class: "chart-count" }, String(row.count)),
      ),
    ),
  );
}

/** A podium (top 3) as an ordered list, second/first/third laid out by CSS. */
export function podium(entries) {
  return h(
    "ol",
    { class: "podium" },
    entries.map((p, i) =>
      h(
        "li",
        { class: `podium-step place-${i + 1}` },
        h("span", { class: "podium-name" }, p.nickname),
        h("span", { class: "podium-score" }, String(p.score)),
        h("span", { class: "podium-rank" }, `#${p.rank}`),
      ),
    ),
  );
}

/** The top-10 leaderboard list; `me` (a nickname) is highlighted. */
export function leaderboard(top, me = null) {
  return h(
    "ol",
    { class: "leaderboard" },
    top.map((row) =>
      h(
        "li",
        { class: row.nickname === me ? "is-me" : "" },
        h("span", { class: "lb-rank" }, `#${row.rank ?? ""}`),
        h("span", { class: "lb-name" }, row.nickname),
        h("span", { class: "lb-score" }, String(row.score)),
      ),
    ),
  );
}
