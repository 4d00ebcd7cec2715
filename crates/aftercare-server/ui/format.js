// Dates and times, shown unambiguously: ISO 8601 with the time zone always written out.

import { h } from './dom.js';

const pad = (n, width = 2) => String(n).padStart(width, '0');

/** Parses an RFC 3339 timestamp; null when it is not one. */
export function parse(text) {
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(text)) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** `2025-03-01T14:05:09Z`: the instant in UTC, to the second. */
export function utc(date) {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}T`
    + `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}Z`;
}

/** `2025-03-01T09:05:09-05:00`: the instant as wall time in an IANA time zone, with its offset. */
export function zoned(date, timeZone) {
  let parts;
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
      hourCycle: 'h23', timeZoneName: 'longOffset',
    }).formatToParts(date);
  } catch {
    return null;
  }
  const part = (type) => parts.find((p) => p.type === type)?.value ?? '';
  const name = part('timeZoneName');
  const offset = name === 'GMT' ? '+00:00' : name.replace('GMT', '');
  return `${part('year')}-${part('month')}-${part('day')}T${part('hour')}:${part('minute')}:${part('second')}${offset}`;
}

/** A `<time>` element for an RFC 3339 timestamp, shown in UTC; other text as it is. */
export function timestamp(text) {
  if (text === null || text === undefined) return '—';
  const date = parse(text);
  if (!date) return String(text);
  return h('time', { datetime: date.toISOString() }, utc(date));
}

/** A deadline shown in the policy's time zone and in UTC. */
export function deadline(text, timeZone) {
  const date = parse(text);
  if (!date) return text ?? '—';
  const local = zoned(date, timeZone);
  return h('span', { class: 'deadline' },
    local ? h('time', { datetime: date.toISOString() }, local) : null,
    local ? h('span', { class: 'tz' }, ` ${timeZone}`) : null,
    h('br'),
    h('time', { datetime: date.toISOString(), class: 'utc' }, utc(date)),
  );
}

/** How far an instant is from now, in words: `in 3 days`, `2 h ago`. */
export function relative(text, now = new Date()) {
  const date = parse(text);
  if (!date) return '';
  const seconds = Math.round((date.getTime() - now.getTime()) / 1000);
  const abs = Math.abs(seconds);
  let amount;
  if (abs < 3600) amount = `${Math.max(1, Math.round(abs / 60))} min`;
  else if (abs < 2 * 86400) amount = `${Math.round(abs / 3600)} h`;
  else amount = `${Math.floor(abs / 86400)} days`;
  return seconds >= 0 ? `in ${amount}` : `${amount} ago`;
}

/** A duration in seconds, in words (`14 min`, `2 h 5 min`). */
export function duration(seconds) {
  const total = Math.max(0, Math.round(seconds));
  if (total < 60) return `${total} s`;
  const minutes = Math.ceil(total / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Accepts `YYYY-MM-DD` or an RFC 3339 time; returns RFC 3339 (UTC midnight for a date), or null. */
export function toRfc3339(input) {
  const text = input.trim();
  if (text === '') return '';
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return `${text}T00:00:00Z`;
  return parse(text) ? text : null;
}
