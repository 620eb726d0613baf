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
  if (!window.M) return;
  M.Sidenav.init(document.querySelectorAll(".sidenav"), {
    onOpenStart: (menu) => { menu.inert = false; },
    onCloseEnd: (menu) => { menu.inert = true; },
  });
  M.FormSelect.init(document.querySelectorAll("select:not(.browser-default)"));
});
