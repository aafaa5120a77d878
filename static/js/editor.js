// Quiz editor: shows only the fields the chosen kind uses, and asks before deleting.
// Without this script every section shows and the server ignores what the kind does not use.

const form = document.getElementById("question-form");
const select = form?.querySelector("[data-kind-select]");

function showKind() {
  const kind = select.value;
  form.dataset.kind = kind;
  for (const section of form.querySelectorAll("[data-kinds]")) {
    section.hidden = !section.dataset.kinds.split(" ").includes(kind);
  }
}

if (select) {
  select.addEventListener("change", showKind);
  showKind();
}

for (const confirmed of document.querySelectorAll("form[data-confirm]")) {
  confirmed.addEventListener("submit", (event) => {
    if (!window.confirm(confirmed.dataset.confirm)) event.preventDefault();
  });
}
