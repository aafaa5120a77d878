// "My quizzes": Start game creates a game over the API (session + CSRF token), then opens its console.
import { $, csrfToken, fill, t } from "./ui.js";

for (const button of document.querySelectorAll("[data-start-quiz]")) {
  button.addEventListener("click", async () => {
    const status = $("#start-status");
    fill(status);
    button.disabled = true;
    try {
      const response = await fetch("/api/games/", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ quiz: Number(button.dataset.startQuiz) }),
      });
      const body = await response.json().catch(() => ({}));
      if (response.status !== 201) {
        const detail = body.detail ?? Object.values(body).flat().join(" ") ?? response.statusText;
        throw new Error(detail || String(response.status));
      }
      location.assign(button.dataset.consoleUrl.replace("000000", body.pin));
    } catch (err) {
      fill(status, t("start_failed", { message: err.message }));
      button.disabled = false;
    }
  });
}
