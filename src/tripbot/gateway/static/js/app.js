// Progressive enhancement only: every page works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", () => {
      const target = document.getElementById(button.dataset.copy);
      if (!target) return;
      const text = target.value || target.textContent;
      const done = () => {
        if (window.M && M.Toast && button.dataset.copied) new M.Toast({ text: button.dataset.copied, displayLength: 2000 });
      };
      // The selection fallback also covers a refused clipboard write (an unfocused document).
      const copyBySelection = () => {
        if (target.select) target.select();
        if (document.execCommand && document.execCommand("copy")) done();
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
  M.Sidenav.init(document.querySelectorAll(".sidenav"));
  M.FormSelect.init(document.querySelectorAll("select:not(.browser-default)"));
});
