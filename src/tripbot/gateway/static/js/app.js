// Progressive enhancement only: every page works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", () => {
      const target = document.getElementById(button.dataset.copy);
      if (!target) return;
      const text = target.value || target.textContent;
      const say = (text) => {
        if (window.M && M.Toast && text) new M.Toast({ text: text, displayLength: 2500 });
      };
      const done = () => say(button.dataset.copied);
      // The selection fallback also covers a refused clipboard write (an unfocused document);
      // when that fails too, the text stays selected and the person is told to copy it.
      const copyBySelection = () => {
        if (target.select) target.select();
        if (document.execCommand && document.execCommand("copy")) done();
        else say(document.body.dataset.copyFailed);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, copyBySelection);
      } else {
        copyBySelection();
      }
    });
  });
  document.querySelectorAll("input.copy-source").forEach((input) => {
    input.addEventListener("focus", () => input.select());
  });
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  // A date (and time) field is drawn in the browser's own language (mm/dd/yyyy in an English browser even
  // on a Spanish page): under each one the chosen day is said in the page's language too.
  const language = document.documentElement.lang || undefined;
  document.querySelectorAll('input[type="date"], input[type="datetime-local"]').forEach((input) => {
    const withTime = input.type === "datetime-local";
    const said = document.createElement("span");
    said.className = "date-said";
    said.setAttribute("aria-live", "polite");
    const sayDay = () => {
      const day = input.value ? new Date(withTime ? input.value : `${input.value}T12:00:00`) : null;
      const style = withTime ? { dateStyle: "full", timeStyle: "short" } : { dateStyle: "full" };
      said.textContent =
        day && !Number.isNaN(day.getTime()) ? new Intl.DateTimeFormat(language, style).format(day) : "";
    };
    (input.closest(".input-field") || input).insertAdjacentElement("afterend", said);
    input.addEventListener("change", sayDay);
    input.addEventListener("input", sayDay);
    sayDay();
  });
  if (!window.M) return;
  M.Sidenav.init(document.querySelectorAll(".sidenav"), {
    onOpenStart: (menu) => { menu.inert = false; },
    onCloseEnd: (menu) => { menu.inert = true; },
  });
  M.FormSelect.init(document.querySelectorAll("select:not(.browser-default)"));
});
