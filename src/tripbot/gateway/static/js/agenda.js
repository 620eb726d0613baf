// The agenda's timeline: one row per place and day, each activity a bar placed by its time.
// Drawn from the JSON block the page carries (no inline script or style: the CSP forbids them);
// the table under it says the same for readers without JavaScript, and is what gets printed.
// For organizers every place has its row from morning to evening, and a click on a row puts a
// new activity there, at that quarter hour: the form below is filled and its title focused.
// "Add on this day" does the same for the day (and is what keyboards and phones use).
(() => {
  const HOUR = 60;
  const SLOT = 15;
  const DAYTIME = [8 * HOUR, 20 * HOUR];

  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  const span = (activities, editable) => {
    const starts = activities.map((a) => Math.max(0, a.start));
    const ends = activities.map((a) => Math.min(24 * HOUR, a.end));
    if (editable) {
      starts.push(DAYTIME[0]);
      ends.push(DAYTIME[1]);
    }
    const first = Math.floor(Math.min(...starts) / HOUR);
    const last = Math.max(first + 1, Math.ceil(Math.max(...ends) / HOUR));
    return [first * HOUR, last * HOUR];
  };

  const clock = (minute) =>
    `${String(Math.floor(minute / HOUR)).padStart(2, "0")}:${String(minute % HOUR).padStart(2, "0")}`;

  // Puts a new activity on a day (at a time, at a place) in the form, and goes to its title.
  const fill = (form, date, time, placeId) => {
    form.querySelector("#new-day").value = date;
    form.querySelector("#new-time").value = time;
    if (placeId !== undefined) form.querySelector("#new-place").value = placeId;
    document.getElementById("new-activity").scrollIntoView({ block: "start" });
    form.querySelector("#new-title").focus({ preventScroll: true });
  };

  const drawDay = (container, day, data, form) => {
    const noPlace = data.noPlace;
    if (!day.activities.length && !form) return;
    const [from, to] = span(day.activities, Boolean(form));
    const percent = (minute) => `${((Math.min(Math.max(minute, from), to) - from) / (to - from)) * 100}%`;

    const axis = el("div", "tl-row tl-axis");
    axis.appendChild(el("div", "tl-label"));
    const ticks = el("div", "tl-track");
    for (let minute = from; minute <= to; minute += HOUR) {
      const tick = el("span", "tl-tick", `${String((minute / HOUR) % 24).padStart(2, "0")}:00`);
      tick.style.left = percent(minute);
      ticks.appendChild(tick);
    }
    axis.appendChild(ticks);
    container.appendChild(axis);

    const named = day.activities.map((a) => a.place);
    if (form) named.push(...data.places.map((p) => p.name), "");
    const places = [...new Set(named)].sort((a, b) =>
      a === "" ? 1 : b === "" ? -1 : a.localeCompare(b));
    const placeIds = new Map(data.places.map((p) => [p.name, p.id]));
    for (const place of places) {
      const row = el("div", "tl-row");
      row.appendChild(el("div", "tl-label", place || noPlace));
      const track = el("div", "tl-track");
      const mine = day.activities.filter((a) => a.place === place);
      // Overlapping bars of one place go on separate lanes, so both stay visible.
      const lanes = [];
      for (const activity of mine) {
        let lane = lanes.findIndex((end) => end <= activity.start);
        if (lane === -1) lane = lanes.push(0) - 1;
        lanes[lane] = activity.end;
        const bar = el("a", `tl-bar status-${activity.status}${activity.conflict ? " conflict" : ""}`);
        bar.href = `#activity-${activity.id}`;
        bar.tabIndex = -1; // a picture of the list below, which the keyboard and readers use
        bar.dataset.activityId = activity.id;
        bar.dataset.lane = lane;
        bar.title = `${activity.time} ${activity.title}`;
        bar.appendChild(el("span", "tl-bar-time", activity.time));
        bar.appendChild(el("span", "tl-bar-title", activity.title));
        bar.style.left = percent(activity.start);
        bar.style.width = `calc(${percent(activity.end)} - ${percent(activity.start)})`;
        track.appendChild(bar);
      }
      track.dataset.lanes = lanes.length;
      track.querySelectorAll(".tl-bar").forEach((bar) => {
        bar.style.top = `${(Number(bar.dataset.lane) / lanes.length) * 100}%`;
        bar.style.height = `${100 / lanes.length}%`;
      });
      track.style.height = `${2.6 * Math.max(1, lanes.length)}rem`;
      if (form) {
        track.classList.add("tl-open");
        track.dataset.place = placeIds.get(place) || "";
        track.addEventListener("click", (event) => {
          if (event.target.closest(".tl-bar")) return; // a bar leads to its activity
          const box = track.getBoundingClientRect();
          const minute = from + ((event.clientX - box.left) / box.width) * (to - from);
          const slot = Math.min(24 * HOUR - SLOT, Math.max(0, Math.floor(minute / SLOT) * SLOT));
          fill(form, day.date, clock(slot), placeIds.get(place) || "");
        });
      }
      row.appendChild(track);
      container.appendChild(row);
    }
  };

  document.addEventListener("DOMContentLoaded", () => {
    const source = document.getElementById("agenda-data");
    const form = document.getElementById("activity-form");
    if (source) {
      const data = JSON.parse(source.textContent);
      for (const day of data.days) {
        const container = document.querySelector(`.timeline[data-day="${day.date}"]`);
        if (container) drawDay(container, day, data, form);
      }
    }
    if (form) {
      document.querySelectorAll("a.add-on-day").forEach((link) => {
        link.addEventListener("click", (event) => {
          event.preventDefault();
          fill(form, link.dataset.day, link.dataset.time);
        });
      });
    }
    const print = document.getElementById("print-agenda");
    if (print) {
      print.hidden = false;
      print.addEventListener("click", () => window.print());
    }
  });
})();
