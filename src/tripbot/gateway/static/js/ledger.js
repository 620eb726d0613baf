// The money pages: charts drawn from the JSON the page carries, and the entry form showing only
// the sections its kind uses. Every page works without JavaScript.
(() => {
  "use strict";

  const css = (name, fallback) =>
    getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
  const data = (id) => {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  };
  const money = (currency) => {
    const format = new Intl.NumberFormat(document.documentElement.lang || undefined, {
      style: "currency",
      currency,
    });
    return (value) => format.format(value);
  };

  function balancesChart() {
    const chart = data("money-chart-data");
    const canvas = document.getElementById("balances-chart");
    if (!chart || !canvas || !window.Chart) return;
    const format = money(chart.currency);
    const good = css("--md-sys-color-primary", "#006a6a");
    const bad = css("--md-sys-color-error", "#ba1a1a");
    canvas.parentElement.style.height = `${Math.max(120, chart.balances.length * 34 + 40)}px`;
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: chart.balances.map((b) => b.name),
        datasets: [
          {
            label: chart.label,
            data: chart.balances.map((b) => b.balance),
            backgroundColor: chart.balances.map((b) => (b.balance < 0 ? bad : good)),
          },
        ],
      },
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (item) => format(item.parsed.x) } },
        },
        scales: { x: { ticks: { callback: (value) => format(value) } } },
      },
    });
  }

  function reportCharts() {
    const chart = data("report-chart-data");
    if (!chart || !window.Chart) return;
    const format = money(chart.currency);
    const primary = css("--md-sys-color-primary", "#006a6a");
    const secondary = css("--md-sys-color-secondary", "#4a6363");
    const tertiary = css("--md-sys-color-tertiary", "#4b607c");
    const budget = document.getElementById("budget-chart");
    if (budget && chart.categories.length) {
      budget.parentElement.style.height = `${Math.max(180, chart.categories.length * 48 + 60)}px`;
      new Chart(budget, {
        type: "bar",
        data: {
          // On a narrow chart (a phone's) a "kind · category" label would be cut at its left
          // edge: its two parts go on two lines there.
          labels: chart.categories.map((c) => (budget.parentElement.clientWidth < 500 ? c.label.split(" · ") : c.label)),
          datasets: [
            { label: chart.labels.planned, data: chart.categories.map((c) => c.planned), backgroundColor: secondary },
            { label: chart.labels.actual, data: chart.categories.map((c) => c.actual), backgroundColor: primary },
          ],
        },
        options: {
          indexAxis: "y",
          maintainAspectRatio: false,
          plugins: { tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${format(item.parsed.x)}` } } },
          scales: { x: { ticks: { callback: (value) => format(value) } } },
        },
      });
    }
    const cash = document.getElementById("cash-chart");
    if (cash && chart.days.length) {
      new Chart(cash, {
        type: "line",
        data: {
          labels: chart.days.map((d) => d.date),
          datasets: [
            { label: chart.labels.cash, data: chart.days.map((d) => d.cash), borderColor: primary, backgroundColor: primary, stepped: true, fill: false },
            { label: chart.labels.income, data: chart.days.map((d) => d.income), type: "bar", backgroundColor: tertiary },
            { label: chart.labels.costs, data: chart.days.map((d) => -d.costs), type: "bar", backgroundColor: css("--md-sys-color-error", "#ba1a1a") },
          ],
        },
        options: {
          maintainAspectRatio: false,
          plugins: { tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${format(item.parsed.y)}` } } },
          scales: { y: { ticks: { callback: (value) => format(value) } } },
        },
      });
    }
  }

  function entryForm() {
    const form = document.getElementById("entry-form");
    if (!form) return;
    const kind = form.querySelector("#kind");
    const inKind = form.querySelector("#in_kind");
    const currency = form.querySelector("#currency");
    const splitOn = form.querySelector("#split_on");
    const method = form.querySelector("#split_method");
    const rate = form.querySelector("[data-foreign-only]");
    const update = () => {
      const chosen = kind.value;
      form.querySelectorAll("[data-kinds]").forEach((section) => {
        section.hidden = !section.dataset.kinds.split(" ").includes(chosen);
      });
      const goods = inKind && inKind.checked && ["donation", "sponsorship"].includes(chosen);
      form.querySelectorAll("[data-cash-only]").forEach((section) => {
        if (goods) section.hidden = true;
      });
      const body = form.querySelector(".split-body");
      if (body) body.hidden = chosen === "purchase" && splitOn && !splitOn.checked;
      if (rate && currency) {
        const book = currency.dataset.bookCurrency;
        const typed = currency.value.trim().toUpperCase();
        rate.hidden = !typed || typed === book;
      }
      if (method) {
        const placeholders = { shares: "1", exact: "0.00", percent: "%" };
        form.querySelectorAll(".share-value").forEach((input) => {
          input.hidden = method.value === "equal";
          input.placeholder = placeholders[method.value] || "";
        });
      }
    };
    [kind, inKind, currency, splitOn, method].forEach((input) => {
      if (input) input.addEventListener("input", update);
      if (input) input.addEventListener("change", update);
    });
    form.querySelectorAll("[data-check-all], [data-check-none]").forEach((button) => {
      button.addEventListener("click", () => {
        const name = button.dataset.checkAll || button.dataset.checkNone;
        form.querySelectorAll(`input[type=checkbox][name="${name}"]`).forEach((box) => {
          box.checked = Boolean(button.dataset.checkAll);
        });
        form.dispatchEvent(new Event("change"));
      });
    });
    update();
  }

  // Several payers, or a split by exact amounts or percentages: what is left to assign is
  // shown as it is typed, in the reader's way, and a form that does not add up is not sent.
  // Typing someone's amount ticks them; the one payer or part left empty gets the rest. The
  // server checks everything again (the form works without this).
  function remainingAmounts() {
    const form = document.getElementById("entry-form");
    const words = document.getElementById("remaining-words");
    if (!form || !words) return;
    const lang = document.documentElement.lang || undefined;
    const amount = form.querySelector("#amount");
    const currencyInput = form.querySelector("#currency");
    const method = form.querySelector("#split_method");
    const say = (template, values) =>
      Object.entries(values).reduce((text, [name, value]) => text.replace(`{${name}}`, value), template);
    const currency = () => {
      const typed = currencyInput ? currencyInput.value.trim().toUpperCase() : "";
      return /^[A-Z]{3}$/.test(typed) ? typed : (currencyInput && currencyInput.dataset.bookCurrency) || "EUR";
    };
    const places = () => {
      try {
        return new Intl.NumberFormat(lang, { style: "currency", currency: currency() }).resolvedOptions()
          .maximumFractionDigits;
      } catch (error) {
        return 2;
      }
    };
    // Amounts are counted in whole minor units, never as floating point sums.
    const parse = (text, decimals) => {
      let typed = text.replace(/[\s\u00a0]/g, "");
      if (typed.includes(",") && !typed.includes(".") && typed.split(",").length === 2) typed = typed.replace(",", ".");
      const found = /^([+-]?)(\d{1,13})(?:\.(\d+))?$/.exec(typed);
      if (!found || (found[3] || "").length > decimals) return null;
      const minor = Number(found[2]) * 10 ** decimals + Number((found[3] || "").padEnd(decimals, "0") || 0);
      return found[1] === "-" ? -minor : minor;
    };
    const plain = (minor, decimals) =>
      new Intl.NumberFormat(lang, { minimumFractionDigits: decimals, maximumFractionDigits: decimals, useGrouping: false })
        .format(minor / 10 ** decimals);
    const shown = (minor, decimals, percent) =>
      percent
        ? `${new Intl.NumberFormat(lang, { maximumFractionDigits: decimals }).format(minor / 10 ** decimals)} %`
        : new Intl.NumberFormat(lang, { style: "currency", currency: currency() }).format(minor / 10 ** decimals);
    const visible = (node) => !node.closest("[hidden]");

    const sections = [
      { box: "payer", value: (key) => `payer_amount_${key}`, output: "payer-remaining", sum: "payers" },
      { box: "share", value: (key) => `share_value_${key}`, output: "split-remaining", sum: "split" },
    ];
    const measure = (section) => {
      const output = document.getElementById(section.output);
      if (!output || !visible(output.parentElement)) return null;
      const boxes = [...form.querySelectorAll(`input[type=checkbox][name="${section.box}"]`)].filter((b) => b.checked);
      const percent = section.box === "share" && method && method.value === "percent";
      if (section.box === "share" && (!method || !["exact", "percent"].includes(method.value))) return { output, off: true };
      if (section.box === "payer" && boxes.length < 2) return { output, off: true };
      const decimals = percent ? 6 : places();
      const total = percent ? 100 * 10 ** decimals : parse(amount.value, decimals);
      const inputs = boxes.map((b) => form.querySelector(`[name="${section.value(b.value)}"]`)).filter(Boolean);
      let given = 0;
      const empty = [];
      let unreadable = false;
      inputs.forEach((input) => {
        if (!input.value.trim()) return empty.push(input);
        const minor = parse(input.value, decimals);
        if (minor === null) unreadable = true;
        else given += Math.abs(minor);
      });
      return { output, section, inputs, empty, given, total: total === null ? null : Math.abs(total), decimals, percent, unreadable };
    };
    const update = () => {
      sections.forEach((section) => {
        const found = measure(section);
        if (!found) return;
        const { output } = found;
        output.classList.remove("field-error");
        output.removeAttribute("role");
        if (found.off || found.unreadable) {
          output.hidden = true;
          return;
        }
        found.inputs.forEach((input) => (input.placeholder = ""));
        if (found.total === null) {
          output.hidden = false;
          output.textContent = words.dataset.needed;
          return;
        }
        const left = found.total - found.given;
        output.hidden = false;
        if (found.empty.length === 1 && left > 0) {
          found.empty[0].placeholder = plain(left, found.decimals);
          output.textContent = say(words.dataset.filled, { amount: shown(left, found.decimals, found.percent) });
        } else if (left === 0 && !found.empty.length) {
          output.textContent = words.dataset.done;
        } else if (left < 0) {
          output.textContent = say(words.dataset.over, { amount: shown(-left, found.decimals, found.percent) });
        } else {
          output.textContent = say(words.dataset.left, { amount: shown(left, found.decimals, found.percent) });
        }
      });
    };
    form.addEventListener("input", (event) => {
      const name = event.target.name || "";
      const ticked = /^(payer_amount|share_value)_(.+)$/.exec(name);
      if (ticked && event.target.value.trim()) {
        const box = form.querySelector(`input[type=checkbox][name="${ticked[1] === "payer_amount" ? "payer" : "share"}"][value="${ticked[2]}"]`);
        if (box) box.checked = true;
      }
      update();
    });
    form.addEventListener("change", update);
    form.addEventListener("submit", (event) => {
      let wrong = null;
      sections.forEach((section) => {
        const found = measure(section);
        if (!found || found.off || found.unreadable || found.total === null) return;
        const left = found.total - found.given;
        if (found.empty.length === 1 && left > 0) {
          found.empty[0].value = plain(left, found.decimals);
        } else if (left !== 0 || found.empty.length) {
          const template = found.percent ? words.dataset.percent : words.dataset[section.sum];
          found.output.hidden = false;
          found.output.textContent = say(template, {
            given: shown(found.given, found.decimals, found.percent),
            total: shown(found.total, found.decimals, false),
          });
          found.output.classList.add("field-error");
          found.output.setAttribute("role", "alert");
          wrong = wrong || found.empty[0] || found.inputs[0];
        }
      });
      if (wrong) {
        event.preventDefault();
        wrong.focus();
      }
    });
    update();
  }

  function budgetRows() {
    const button = document.getElementById("add-budget-row");
    const template = document.getElementById("budget-row-template");
    const rows = document.getElementById("budget-rows");
    if (!button || !template || !rows) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      rows.appendChild(template.content.cloneNode(true));
      rows.lastElementChild.querySelector("input[name=category]").focus();
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    balancesChart();
    reportCharts();
    entryForm();
    remainingAmounts();
    budgetRows();
  });
})();
