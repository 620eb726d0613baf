// Reads an iCalendar feed on standard input with ical.js (the parser of Thunderbird and many
// web calendars) and prints each event's start and end as Unix seconds, by UID, as JSON.
import ICAL from "ical.js";
import { readFileSync } from "node:fs";

const calendar = new ICAL.Component(ICAL.parse(readFileSync(0, "utf8")));
for (const zone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(zone);
}
const instants = {};
for (const component of calendar.getAllSubcomponents("vevent")) {
  const event = new ICAL.Event(component);
  instants[event.uid] = {
    start: event.startDate.toUnixTime(),
    end: event.endDate.toUnixTime(),
    summary: event.summary,
  };
}
process.stdout.write(JSON.stringify(instants));
