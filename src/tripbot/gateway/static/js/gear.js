// Gear charts: what is free day by day on an item's page, and a packing list's weights.
// The data comes from <script type="application/json"> blocks (no inline script: strict CSP).
document.addEventListener("DOMContentLoaded", () => {
  if (!window.Chart) return;
  const styles = getComputedStyle(document.documentElement);
  const colour = (name, fallback) => styles.getPropertyValue(name).trim() || fallback;
  const primary = colour("--md-sys-color-primary", "#006a6a");
  const read = (id) => {
    const element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  };

  const availability = read("availability-data");
  const availabilityCanvas = document.getElementById("availability-chart");
  if (availability && availabilityCanvas) {
    const none = colour("--md-sys-color-error", "#ba1a1a");
    const half = availability.capacity / 2;
    new Chart(availabilityCanvas, {
      type: "bar",
      data: {
        labels: availability.labels,
        datasets: [{
          label: availability.label,
          data: availability.free,
          backgroundColor: availability.free.map((free) => (free === 0 ? none : free < half ? "#e0a100" : primary)),
          borderRadius: 3,
        }],
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false } },
        scales: {
          y: { beginAtZero: true, suggestedMax: availability.capacity, ticks: { precision: 0 } },
          x: { ticks: { maxRotation: 0, autoSkipPadding: 8 } },
        },
      },
    });
  }

  const drawWeights = () => {
    const weights = read("weight-data");
    const weightCanvas = document.getElementById("weight-chart");
    if (weights && weightCanvas) {
      const empty = weights.grams.every((grams) => grams === 0);
      new Chart(weightCanvas, {
        type: "doughnut",
        data: {
          labels: weights.labels,
          datasets: [{
            data: empty ? [1] : weights.grams,
            backgroundColor: empty ? ["#dde4e3"] : [primary, "#4a6363", "#e0a100"],
            borderWidth: 1,
          }],
        },
        options: {
          maintainAspectRatio: false,
          animation: false,
          plugins: {
            legend: { display: !empty, position: "bottom" },
            tooltip: {
              enabled: !empty,
              callbacks: {
                label: (context) => {
                  const grams = context.parsed;
                  // The page's language decides the decimal mark, as the table beside it does.
                  const kilos = new Intl.NumberFormat(document.documentElement.lang || undefined, {
                    minimumFractionDigits: 2,
                    maximumFractionDigits: 2,
                  }).format(grams / 1000);
                  return `${context.label}: ${grams >= 1000 ? kilos + " kg" : grams + " g"}`;
                },
              },
            },
          },
        },
      });
    }
  };
  drawWeights();
  // The packing list's script puts new weights on the page after a line is added or ticked.
  document.addEventListener("tripbot:packing-changed", drawWeights);
});
