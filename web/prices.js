// Live prices: one tile per symbol (created when its first tick arrives, so
// any number of symbols works), with the last price, the change since the
// ticker opened, and a line chart.

import { el, formatPrice } from './dom.js';
import { createChart } from './charts.js';

/** Five minutes at one tick a second. */
const MAX_POINTS = 300;

export function createPrices(container, empty) {
  const tiles = new Map();

  function tile(symbol) {
    let entry = tiles.get(symbol);
    if (entry) return entry;
    const root = el('article', 'tile');
    root.dataset.symbol = symbol;
    root.dataset.points = '0';
    const head = el('div', 'tile-head');
    const last = el('span', 'last', '–');
    const change = el('span', 'change', '');
    head.append(el('span', 'symbol', symbol), last, change);
    const plot = el('div', 'chart');
    root.append(head, plot);
    // Tiles in symbol order, whatever order the ticks come in.
    const next = [...tiles.keys()].sort().find((other) => other > symbol);
    container.insertBefore(root, next ? tiles.get(next).root : null);
    empty.hidden = true;
    const chart = createChart(plot, {
      series: [{ label: symbol, color: '--chart-1' }],
      height: 130,
      maxPoints: MAX_POINTS,
    });
    entry = { root, last, change, chart, lastTime: undefined, dropTime: undefined };
    tiles.set(symbol, entry);
    return entry;
  }

  return {
    /** A `price` event's data: { symbol, price, open, time }. */
    onTick(tick) {
      if (typeof tick?.symbol !== 'string' || !Number.isFinite(tick.price)) return;
      const entry = tile(tick.symbol);
      entry.last.textContent = formatPrice(tick.price);
      if (Number.isFinite(tick.open) && tick.open > 0) {
        const delta = tick.price - tick.open;
        const sign = delta > 0 ? '+' : delta < 0 ? '−' : '±';
        const arrow = delta > 0 ? '▲' : delta < 0 ? '▼' : '';
        entry.change.textContent = `${arrow} ${sign}${formatPrice(Math.abs(delta))} (${sign}${formatPrice(Math.abs((delta / tick.open) * 100))} %) since open`;
        entry.change.className = `change ${delta > 0 ? 'up' : delta < 0 ? 'down' : ''}`;
      }
      const time = Number.isFinite(tick.time) ? tick.time / 1000 : Date.now() / 1000;
      entry.chart.push(time, tick.price);
      entry.lastTime = time;
      entry.root.dataset.points = String(entry.chart.points);
    },
    /** The connection dropped: remember each chart's last point before it. */
    markDrop() {
      for (const entry of tiles.values()) entry.dropTime ??= entry.lastTime;
    },
    /**
     * The hub no longer had what was missed (history lost): break each line
     * after its last point before the drop, so the prices before and after
     * are not joined by a line (a cliff between two random walks).
     */
    breakLines() {
      for (const entry of tiles.values()) {
        if (entry.dropTime === undefined) continue;
        entry.chart.gapAfter(entry.dropTime);
        entry.dropTime = undefined;
        entry.root.dataset.points = String(entry.chart.points);
        entry.root.dataset.gaps = String(entry.chart.gaps);
      }
    },
    /** The hub resumed without loss: the replay filled the drop. */
    resumed() {
      for (const entry of tiles.values()) entry.dropTime = undefined;
    },
  };
}
