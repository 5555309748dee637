// Small DOM and formatting helpers. Every value from the network goes
// through textContent (el's `text`), never through HTML parsing.

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** A new element with an optional class and text. */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Keeps at most `max` children (the oldest are last). */
export function trim(list, max) {
  while (list.childElementCount > max) list.lastElementChild.remove();
}

/** Arrival time with milliseconds: 14:03:07.412. */
export function clock(date = new Date()) {
  const pad = (n, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** Parses JSON; `undefined` when it is not. */
export function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});
const oneDecimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

export const formatInteger = (n) => integer.format(n);
export const formatPrice = (n) => decimal.format(n);
export const formatRate = (n) => (n >= 100 ? integer.format(n) : oneDecimal.format(n));
export const formatPercent = (n) => `${oneDecimal.format(n)} %`;
export const formatMs = (n) =>
  `${n >= 100 ? integer.format(n) : n >= 10 ? oneDecimal.format(n) : decimal.format(n)} ms`;

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];
/** 1536 → "1.5 kB" (powers of 1000, as network rates are written). */
export function formatBytes(n) {
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? integer.format(value) : oneDecimal.format(value)} ${UNITS[unit]}`;
}

/** 3725 → "1 h 02 min". */
export function formatUptime(seconds) {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return `${m} min ${String(s).padStart(2, '0')} s`;
  return `${s} s`;
}
