// The daily charts of a report's period (the last 30 days unless the report says), drawn with uPlot: clicks (left axis) and conversions (right axis, a scale of
// their own so a few sales are not flattened against thousands of clicks), then commission in the
// program's currency. Days without activity are zeros, not gaps. When the period ends today, that day is still in progress, so
// its segment is drawn lighter and dashed, and a note says so: a low last point is not a drop.
// The charts follow their box's width (a phone's too) and share the cursor.
import uPlot from './uPlot.esm.js';
import { h, last30Days, majorUnits, currencyExponent, emptyState, number } from './common.js';
import { daysOf } from './range.js';

const GRID = { stroke: '#eef0f3' };
const AXIS = '#5b6472';
const LEFT = 56; // the axes' widths, the same in both charts so that their days line up
const RIGHT = 40;
const COUNTS = [1, 2, 5].flatMap((m) => [1, 10, 100, 1e3, 1e4, 1e5, 1e6].map((e) => m * e)).sort((a, b) => a - b); // whole ticks

// Lightens the last (partial) day's interval and redraws each series' last segment dashed.
function drawPartialDay(u) {
  const xs = u.data[0];
  const n = xs.length;
  if (n < 2) return;
  const ctx = u.ctx;
  const dpr = devicePixelRatio || 1;
  const l = u.valToPos(xs[n - 2], 'x', true);
  const r = u.valToPos(xs[n - 1], 'x', true);
  const { left, top, width, height } = u.bbox;
  ctx.save();
  ctx.fillStyle = 'rgba(255,255,255,0.7)';
  ctx.fillRect(l + dpr, top, Math.min(r + 4 * dpr, left + width) - l - dpr, height);
  ctx.lineWidth = dpr;
  ctx.strokeStyle = '#b5bcc6';
  ctx.setLineDash([3 * dpr, 3 * dpr]);
  ctx.beginPath();
  ctx.moveTo(l, top);
  ctx.lineTo(l, top + height);
  ctx.stroke();
  ctx.lineWidth = 2 * dpr;
  ctx.setLineDash([4 * dpr, 3 * dpr]);
  for (let i = 1; i < u.series.length; i++) {
    const s = u.series[i];
    if (!s.show) continue;
    const y0 = u.data[i][n - 2];
    const y1 = u.data[i][n - 1];
    if (y0 == null || y1 == null) continue;
    ctx.strokeStyle = s._stroke || s.stroke;
    ctx.globalAlpha = 0.6;
    ctx.beginPath();
    ctx.moveTo(l, u.valToPos(y0, s.scale, true));
    ctx.lineTo(r, u.valToPos(y1, s.scale, true));
    ctx.stroke();
  }
  ctx.globalAlpha = 1;
  ctx.fillStyle = AXIS;
  ctx.font = `${11 * dpr}px system-ui, sans-serif`;
  ctx.textAlign = 'right';
  ctx.fillText('today', r - 2 * dpr, top + 12 * dpr);
  ctx.restore();
}

const upFrom0 = (u, min, max) => [0, Math.max(1, max) * 1.1];
const blankWhenNone = (fmt) => (u, v) => (v == null ? '' : fmt(v)); // no "--" in the legend
const dayLabel = (u, v) => (v == null ? '' : new Date(v * 1000).toISOString().slice(0, 10));
const DAY_TICKS = [1, 2, 7, 14, 28, 56, 91].map((d) => d * 86400); // whole days, whatever the period
const dayTicks = (u, vals) => vals.map((v) => new Date(v * 1000).toISOString().slice(5, 10));

// One uPlot chart in its own box; it follows the box's width once the box is laid out.
function plot(box, height, scales, axes, series, data, partial) {
  const opts = {
    width: 300,
    height,
    padding: [12, axes.some((a) => a.side === 1) ? 8 : RIGHT + 8, 0, 0],
    legend: { live: true },
    cursor: { drag: { x: false, y: false }, sync: { key: 'pd-daily' } },
    scales: { x: { time: true }, ...scales },
    axes: [{ stroke: AXIS, grid: GRID, incrs: DAY_TICKS, values: dayTicks }, ...axes],
    series: [{ label: 'Day', value: dayLabel }, ...series],
    hooks: partial ? { draw: [drawPartialDay] } : {},
  };
  const chart = new uPlot(opts, data, box);
  new ResizeObserver(() => {
    const w = Math.floor(box.clientWidth);
    if (w > 0 && w !== chart.width) chart.setSize({ width: w, height });
  }).observe(box);
  return chart;
}

export function dailyChart(report, currency) {
  const days = report.from && report.to ? daysOf(report.from, report.to) : last30Days(); // the report's period
  const byDay = new Map((report.data || []).map((r) => [r.day, r]));
  const xs = days.map((d) => Date.parse(d + 'T00:00:00Z') / 1000);
  const clicks = days.map((d) => byDay.get(d)?.clicks || 0);
  const convs = days.map((d) => byDay.get(d)?.conversions || 0);
  const comm = days.map((d) => majorUnits(byDay.get(d)?.commission || 0, currency));
  const last = days[days.length - 1];
  const partial = last === new Date().toISOString().slice(0, 10); // the period ends today, still in progress
  const wrap = h('div', { class: 'charts', 'data-chart': 'daily', 'data-partial-day': partial ? last : null });
  if (!clicks.some(Boolean) && !convs.some(Boolean)) {
    wrap.append(h('div', { class: 'chart' }, emptyState(partial && days.length === 30 ? 'No clicks in the last 30 days.' : `No clicks from ${days[0]} to ${last}.`,
      'Share a tracking link: clicks and conversions appear here the moment they happen.')));
    return wrap;
  }
  const activity = h('div', { class: 'chart', 'data-chart': 'activity', role: 'img',
    'aria-label': `Clicks and conversions per day from ${days[0]} to ${last}` });
  const money = h('div', { class: 'chart', 'data-chart': 'commission', role: 'img',
    'aria-label': `Commission per day in ${currency} from ${days[0]} to ${last}` });
  wrap.append(activity, money);
  if (partial) wrap.append(h('p', { class: 'chart-note muted small' },
    `Today (${last}, UTC) is still in progress: its figures keep growing until midnight UTC, so its lighter, dashed segment is not a drop.`));
  plot(activity, 220, { n: { range: upFrom0 }, v: { range: upFrom0 } }, [
    { scale: 'n', stroke: '#2f6fdb', grid: GRID, size: LEFT, incrs: COUNTS },
    { scale: 'v', side: 1, stroke: '#1c9a6c', grid: { show: false }, size: RIGHT, incrs: COUNTS },
  ], [
    { label: 'Clicks', scale: 'n', stroke: '#2f6fdb', width: 2, fill: 'rgba(47,111,219,0.08)', value: blankWhenNone(number) },
    { label: 'Conversions', scale: 'v', stroke: '#1c9a6c', width: 2, value: blankWhenNone(number) },
  ], [xs, clicks, convs], partial);
  plot(money, 160, { m: { range: upFrom0 } }, [
    { scale: 'm', stroke: '#b3661a', grid: GRID, size: LEFT, values: (u, vals) => vals.map((v) => v.toLocaleString('en')) },
  ], [
    { label: `Commission (${currency})`, scale: 'm', stroke: '#d9822b', width: 2, fill: 'rgba(217,130,43,0.08)',
      value: blankWhenNone((v) => v.toFixed(currencyExponent(currency))) },
  ], [xs, comm], partial);
  return wrap;
}
