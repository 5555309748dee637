// Line charts on uPlot (loaded by index.html from the hub itself, as the
// global `uPlot`). Points are buffered; each chart redraws at most once per
// animation frame, however many events arrive (a history replay brings
// hundreds at once). Without uPlot the points are still counted and the
// figures still show: only the drawing is skipped.

/* global uPlot */

const dirty = new Set();
let frame = 0;

function redraw() {
  frame = 0;
  for (const chart of dirty) chart.draw();
  dirty.clear();
}

function schedule(chart) {
  dirty.add(chart);
  if (frame === 0) frame = requestAnimationFrame(redraw);
}

/** 14:03:07 (one line: uPlot's default time labels take two). */
function timeOfDay(seconds) {
  const date = new Date(seconds * 1000);
  return [date.getHours(), date.getMinutes(), date.getSeconds()]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');
}

/** The theme's value of a CSS custom property (style.css sets them). */
function cssVar(name, fallback) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/**
 * A chart in `container`: `series` is a list of { label, color } (a CSS
 * variable name); `sparkline` hides axes. Returns { push(time, ...values),
 * gapAfter(time), points, gaps } (`points` without the gaps). `time` is in
 * seconds.
 */
export function createChart(container, { series, height, maxPoints, sparkline = false }) {
  const data = [[], ...series.map(() => [])];
  const count = () => {
    chart.gaps = data[1].filter((value) => value === null).length;
    chart.points = data[0].length - chart.gaps;
  };
  const chart = {
    points: 0,
    gaps: 0,
    push(time, ...values) {
      data[0].push(time);
      values.forEach((value, i) => data[i + 1].push(value));
      if (data[0].length > maxPoints) for (const column of data) column.shift();
      count();
      schedule(chart);
    },
    /**
     * Breaks the lines right after the point at `time` (seconds): a point
     * whose values are null, which uPlot draws as a gap (spanGaps is off),
     * so two stretches of data that do not follow each other are not joined.
     */
    gapAfter(time) {
      const at = data[0].findIndex((t) => t > time);
      const index = at === -1 ? data[0].length : at;
      if (index === 0 || data[1][index - 1] === null) return;
      data[0].splice(index, 0, time + 0.001);
      for (const column of data.slice(1)) column.splice(index, 0, null);
      count();
      schedule(chart);
    },
    draw() {},
  };
  if (typeof uPlot !== 'function') return chart;

  const axis = cssVar('--chart-axis', '#888');
  const grid = cssVar('--chart-grid', '#8883');
  const font = '11px system-ui, sans-serif';
  const options = {
    width: Math.max(container.clientWidth, 100),
    height,
    pxAlign: false,
    legend: { show: false },
    cursor: { show: false },
    select: { show: false },
    scales: { x: { time: true } },
    series: [
      {},
      ...series.map(({ label, color }) => {
        const stroke = cssVar(color, '#2563eb');
        return {
          label,
          stroke,
          width: sparkline ? 1.5 : 2,
          fill: `${stroke}1f`,
          points: { show: false },
        };
      }),
    ],
    axes: sparkline
      ? [{ show: false }, { show: false }]
      : [
          {
            stroke: axis,
            font,
            size: 24,
            space: 64,
            values: (_, ticks) => ticks.map(timeOfDay),
            grid: { stroke: grid, width: 1 },
            ticks: { show: false },
          },
          {
            stroke: axis,
            font,
            size: 52,
            side: 1,
            grid: { stroke: grid, width: 1 },
            ticks: { show: false },
          },
        ],
    // Room on the left for the first time label, centered on its tick.
    padding: sparkline ? [4, 0, 2, 0] : [8, 0, 0, 24],
  };
  const plot = new uPlot(options, data, container);
  chart.draw = () => plot.setData(data);
  new ResizeObserver(([entry]) => {
    const width = Math.floor(entry.contentRect.width);
    if (width > 0 && width !== plot.width) plot.setSize({ width, height });
  }).observe(container);
  return chart;
}
