// A question's picture and its explanation, drawn the same on the host screen and the phones.
import { h, t } from "./ui.js";

/** Puts the question's picture right after `anchor`, replacing the one shown before (if any). */
export function placeImage(anchor, frame) {
  anchor.parentElement.querySelector(":scope > .question-image")?.remove();
  if (!frame?.image) return;
  anchor.after(h("img", { class: "question-image", src: frame.image, alt: t("question_image"), decoding: "async" }));
}

/** Puts the explanation sent with `reveal` right after `anchor` (nothing when the question has none). */
export function placeExplanation(anchor, text) {
  anchor.parentElement.querySelector(":scope > .explanation")?.remove();
  if (!text) return;
  anchor.after(h("p", { class: "explanation" }, h("strong", {}, t("explanation")), " ", text));
}
