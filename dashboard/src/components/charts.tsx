/**
 * @module components/charts
 * chart.js through react-chartjs-2, with only the pieces the dashboard draws registered.
 */
import { BarElement, CategoryScale, Chart as ChartJS, Filler, Legend, LinearScale, LineElement, PointElement, Tooltip, type ChartOptions } from 'chart.js';
import { Bar, Line } from 'react-chartjs-2';
import type { CostSeries } from '../api/types';
import { microsToChartDollars } from '../lib/money';

ChartJS.register(CategoryScale, LinearScale, BarElement, LineElement, PointElement, Tooltip, Legend, Filler);
ChartJS.defaults.font.family = 'Inter, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
ChartJS.defaults.color = '#5d6470';

const PALETTE = ['#4f46e5', '#0ea5e9', '#10b981', '#f59e0b', '#ef4444', '#8b5cf6', '#14b8a6', '#f97316', '#64748b', '#ec4899'];

/** The colour of the n-th series. */
export function seriesColour(n: number): string {
  return PALETTE[n % PALETTE.length];
}

export interface Series {
  label: string;
  values: number[];
}

/**
 * One stacked series per row (key, model, project) on the shared bucket labels: the first
 * `limit`, then the rest summed as `other`, so the stack always adds up to the total.
 */
export function costSeries<T extends CostSeries>(rows: readonly T[], label: (row: T) => string, { limit = 8, other = 'Other' } = {}): Series[] {
  const dollars = (row: T) => row.series.map((p) => microsToChartDollars(p.costMicros));
  const shown = rows.length > limit ? rows.slice(0, limit - 1) : rows;
  const series = shown.map((row) => ({ label: label(row), values: dollars(row) }));
  if (shown.length === rows.length) return series;
  const rest = rows.slice(shown.length);
  return [
    ...series,
    { label: other, values: rest[0].series.map((_, i) => microsToChartDollars(rest.reduce((sum, row) => sum + row.series[i].costMicros, 0))) },
  ];
}

type Format = (value: number) => string;

interface ChartProps {
  title: string;
  labels: string[];
  series: Series[];
  format?: Format;
  stacked?: boolean;
  height?: number;
  /** Show the legend even for one series (e.g. to name the only key). */
  legend?: boolean;
  /** Whole-number ticks (counts). Default: true unless the axis is money. */
  whole?: boolean;
}

/** Category labels longer than this are cut on the axis (the tooltip shows them whole). */
const LABEL_CHARS = 24;

function options(format: Format | undefined, stacked: boolean, legend: boolean, whole: boolean, horizontal = false): ChartOptions<'bar' | 'line'> {
  // Counts get whole-number ticks; money and rates keep their fractions.
  const precision = whole ? 0 : undefined;
  const value = {
    stacked,
    beginAtZero: true,
    grid: { color: '#eef0f3' },
    ticks: { maxTicksLimit: 6, precision, callback: (v: string | number) => (format ? format(Number(v)) : String(v)) },
  };
  const time = { stacked, grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 6, autoSkipPadding: 12 } };
  // A ranking (horizontal bars) names every bar, so none of its labels is skipped.
  const ranked = {
    stacked,
    grid: { display: false },
    ticks: {
      autoSkip: false,
      callback(this: { getLabelForValue(v: number): string }, v: string | number) {
        const label = this.getLabelForValue(Number(v));
        return label.length > LABEL_CHARS ? `${label.slice(0, LABEL_CHARS - 1)}…` : label;
      },
    },
  };
  return {
    indexAxis: horizontal ? 'y' : 'x',
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    interaction: { mode: 'index', intersect: false, axis: horizontal ? 'y' : 'x' },
    plugins: {
      legend: { display: legend, position: 'bottom', labels: { boxWidth: 10, boxHeight: 10 } },
      tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${format ? format(Number(item.raw)) : item.formattedValue}` } },
    },
    // Across the bottom, value ticks stay level and thin out rather than tilt on a phone.
    scales: horizontal ? { x: { ...value, ticks: { ...value.ticks, maxRotation: 0, autoSkipPadding: 12 } }, y: ranked } : { x: time, y: value },
  };
}

/** A (stacked) bar chart, e.g. daily cost by key; `horizontal` for a ranking (top features by cost). */
export function BarChart({
  title,
  labels,
  series,
  format,
  stacked = true,
  height = 240,
  legend,
  whole = format !== chartUsd,
  horizontal = false,
}: ChartProps & { horizontal?: boolean }) {
  const data = {
    labels,
    datasets: series.map((s, i) => ({ label: s.label, data: s.values, backgroundColor: seriesColour(i), borderRadius: 3, maxBarThickness: 28 })),
  };
  return (
    <figure className="chart" style={{ height }}>
      <Bar
        aria-label={title}
        role="img"
        data={data}
        options={options(format, stacked, legend ?? series.length > 1, whole, horizontal) as ChartOptions<'bar'>}
      />
    </figure>
  );
}

/** A line chart, e.g. requests over time. */
export function LineChart({ title, labels, series, format, height = 240, whole = format !== chartUsd }: ChartProps) {
  const data = {
    labels,
    datasets: series.map((s, i) => ({
      label: s.label,
      data: s.values,
      borderColor: seriesColour(i),
      backgroundColor: `${seriesColour(i)}22`,
      fill: series.length === 1,
      tension: 0.25,
      pointRadius: labels.length > 20 ? 0 : 2,
      borderWidth: 2,
    })),
  };
  return (
    <figure className="chart" style={{ height }}>
      <Line aria-label={title} role="img" data={data} options={options(format, false, series.length > 1, whole) as ChartOptions<'line'>} />
    </figure>
  );
}

/** Chart axis money: "$0.12", or more digits for tiny values. */
export function chartUsd(dollars: number): string {
  if (dollars === 0) return '$0';
  if (Math.abs(dollars) < 0.01) return `$${dollars.toFixed(6)}`;
  return `$${dollars.toFixed(2)}`;
}
