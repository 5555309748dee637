// Server monitor: the hub's vital signs (one `monitor` event a second) as
// live figures with sparklines.

import {
  el,
  formatBytes,
  formatInteger,
  formatMs,
  formatPercent,
  formatRate,
  formatUptime,
} from './dom.js';
import { createChart } from './charts.js';

/** Two minutes at one sample a second. */
const MAX_POINTS = 120;

/** What is shown, in order: the figure, its sparkline series, a detail line. */
const VITALS = [
  { key: 'subscribers', label: 'Subscribers', value: (v) => v.subscribers, format: formatInteger },
  { key: 'updates', label: 'Updates / s', value: (v) => v.updatesPerSecond, format: formatRate },
  {
    key: 'deliveries',
    label: 'Deliveries / s',
    value: (v) => v.deliveriesPerSecond,
    format: formatRate,
  },
  {
    key: 'bytes',
    label: 'Bytes / s',
    value: (v) => v.bytesPerSecond,
    format: (n) => `${formatBytes(n)}/s`,
  },
  { key: 'rss', label: 'Memory (RSS)', value: (v) => v.rss, format: formatBytes },
  {
    key: 'heap',
    label: 'Heap used',
    value: (v) => v.heapUsed,
    format: formatBytes,
    detail: (v) => `of ${formatBytes(v.heapTotal)} reserved`,
  },
  {
    key: 'loop',
    label: 'Event loop delay p99',
    value: (v) => v.eventLoopDelay?.p99,
    format: formatMs,
    detail: (v) =>
      `mean ${formatMs(v.eventLoopDelay?.mean ?? 0)}, max ${formatMs(v.eventLoopDelay?.max ?? 0)}`,
  },
  { key: 'cpu', label: 'CPU (one core)', value: (v) => v.cpu, format: formatPercent },
];

export function createMonitor(container, empty, uptime) {
  let figures;

  function build() {
    figures = VITALS.map((spec) => {
      const root = el('div', 'vital');
      root.dataset.key = spec.key;
      root.dataset.points = '0';
      const value = el('span', 'value', '–');
      const detail = el('span', 'detail', '');
      const spark = el('div', 'chart');
      root.append(el('span', 'label', spec.label), value, detail, spark);
      container.append(root);
      const series = [{ label: spec.label, color: '--chart-1' }];
      if (spec.extra) series.push({ label: 'heap', color: '--chart-2' });
      const chart = createChart(spark, {
        series,
        height: 46,
        maxPoints: MAX_POINTS,
        sparkline: true,
      });
      return { spec, root, value, detail, chart };
    });
    empty.hidden = true;
  }

  return {
    /** A `monitor` event's data (see src/demo/monitor.ts, Vitals). */
    onSample(vitals) {
      if (typeof vitals !== 'object' || vitals === null) return;
      if (!figures) build();
      const time = Number.isFinite(vitals.time) ? vitals.time / 1000 : Date.now() / 1000;
      for (const { spec, root, value, detail, chart } of figures) {
        const n = Number(spec.value(vitals));
        if (!Number.isFinite(n)) continue;
        value.textContent = spec.format(n);
        if (spec.detail) {
          // Narrow tiles cut the line short: the whole of it on hover.
          detail.textContent = spec.detail(vitals);
          detail.title = detail.textContent;
        }
        chart.push(time, n);
        root.dataset.points = String(chart.points);
      }
      if (Number.isFinite(vitals.uptime)) uptime.textContent = `up ${formatUptime(vitals.uptime)}`;
    },
  };
}
