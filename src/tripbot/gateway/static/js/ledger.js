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
      });
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
    budgetRows();
  });
})();
