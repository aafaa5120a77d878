// "Get ready" before a question's choices open (its `opens_at` on the server clock), and the hint of what a
// question asks ("Select all that apply"), drawn the same on the host screen and the phones. The question
// frame carries the choices from the start; they stay hidden (CSS: .view[data-ready]) until opens_at.
import { $, fill, h, t } from "./ui.js";

/** What the question asks for, in words; "" when nothing needs saying. */
export function kindLabel(kind) {
  const key = `kind_${kind}`;
  const text = t(key);
  return text === key ? "" : text;
}

/** Puts the kind hint right after `anchor` (a multi question: "Select all that apply"). */
export function placeHint(anchor, frame) {
  anchor.parentElement.querySelector(":scope > .kind-hint")?.remove();
  if (frame?.kind !== "multi") return;
  anchor.after(h("p", { class: "kind-hint", id: `${anchor.id}-hint` }, kindLabel("multi")));
}

export class GetReady {
  /** @param {HTMLElement} view  the question view, holding a `.get-ready` panel */
  constructor(view, clock) {
    this.view = view;
    this.clock = clock;
    this.panel = $(".get-ready", view);
    this.timer = null;
  }

  /** Shows "get ready" until the frame's opens_at, then calls `onOpen` (at once when it has passed). */
  start(frame, onOpen) {
    this.stop();
    const left = () => (frame.opens_at ?? 0) - this.clock.now();
    if (left() <= 0) return onOpen();
    const points = frame.points ? t("ready_points", { points: frame.points }) : t("ready_no_points");
    fill(
      $(".ready-info", this.panel),
      [t("round_of", { round: frame.round, total: frame.total_rounds }), kindLabel(frame.kind), points]
        .filter(Boolean)
        .join(" · "),
    );
    this.view.dataset.ready = "1";
    this.panel.hidden = false;
    const tick = () => {
      const ms = left();
      if (ms <= 0) {
        this.stop();
        onOpen();
        return;
      }
      fill($(".ready-count", this.panel), String(Math.ceil(ms / 1000)));
      this.timer = setTimeout(tick, Math.min(200, ms));
    };
    tick();
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
    delete this.view.dataset.ready;
    this.panel.hidden = true;
  }

  get waiting() {
    return this.timer !== null;
  }
}
