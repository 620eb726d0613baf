// The packing list without reloading the page: a new line and a tick are sent in the background
// (asking for JSON) and the parts that changed come back rendered by the server, from the same
// templates. Without JavaScript the same forms post and the page comes back.
(() => {
  const send = async (form) => {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  };

  const show = (answer) => {
    const chart = window.Chart && window.Chart.getChart("weight-chart");
    if (chart) chart.destroy();
    document.getElementById("packing-lists").innerHTML = answer.lists;
    document.getElementById("packing-progress").outerHTML = answer.progress;
    document.dispatchEvent(new CustomEvent("tripbot:packing-changed"));
    document.getElementById("packing-said").textContent = answer.message;
  };

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    const tick = form.classList.contains("tick-form");
    if (!tick && form.id !== "entry-form") return;
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    const row = form.closest("tr");
    try {
      show(await send(form));
      if (tick && row) {
        const again = document.querySelector(`#${row.id} .tick-button`);
        if (again) again.focus();
      } else if (!tick) {
        // The next line starts afresh but for its category and who brings it, which a list
        // is written in runs of.
        form.querySelectorAll("input[type=checkbox]").forEach((box) => { box.checked = false; });
        for (const [id, value] of [["#name", ""], ["#quantity", "1"], ["#weight_grams", ""], ["#item_id", ""]]) {
          const field = form.querySelector(id);
          if (field) field.value = value;
        }
        form.querySelector("#name").focus();
      }
    } catch {
      // A refusal or no signal: the plain post brings the server's own page (with the error
      // under its field, or the offline page).
      form.submit();
    } finally {
      if (button) button.disabled = false;
    }
  });
})();
