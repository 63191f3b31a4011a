import { type Axis, axisFraction, formatTick, niceAxis } from "./plot-axis.js";

/** One line of a plot: a name for the legend and (x, y) points, drawn in the order given. */
export interface PlotSeries {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
}

/** What to draw. Log axes drop points with values <= 0, which have no place on them. */
export interface PlotSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ReadonlyArray<PlotSeries>;
  logX?: boolean;
  logY?: boolean;
}

// Canvas in SVG user units; a PNG renderer scales it. Margins leave room for tick labels and axis
// labels; the legend sits right of the plot area, and the canvas widens to fit its longest name.
const PLOT_WIDTH = 560;
const HEIGHT = 500;
const MARGIN = { left: 80, top: 50, bottom: 60 } as const;
// Average advance of a 12px DejaVu Sans glyph, to size the legend without measuring text.
const LEGEND_CHAR_WIDTH = 7.2;
// Okabe-Ito palette: distinguishable with the common forms of colour blindness.
const COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"] as const;
// Dash patterns repeat the distinction in grey-scale prints, after the colours run out.
const DASHES = ["", "6 3", "2 3", "8 3 2 3"] as const;
const FONT = "DejaVu Sans, Verdana, sans-serif";

/**
 * Renders a line plot as a standalone SVG document. Pure and deterministic: the same spec gives
 * the same bytes, so plots can be compared in tests and reviewed as text diffs.
 */
export function linePlotSvg(spec: PlotSpec): string {
  const visible = spec.series.map((s) => ({
    name: s.name,
    points: s.points.filter(([x, y]) => isDrawable(x, spec.logX) && isDrawable(y, spec.logY)),
  }));
  const xAxis = niceAxis(visible.flatMap((s) => s.points.map((p) => p[0])), spec.logX === true);
  const yAxis = niceAxis(visible.flatMap((s) => s.points.map((p) => p[1])), spec.logY === true, true);
  const px = (x: number): number => MARGIN.left + axisFraction(xAxis, x) * PLOT_WIDTH;
  const py = (y: number): number => HEIGHT - MARGIN.bottom - axisFraction(yAxis, y) * plotHeight();
  const legendWidth = 60 + LEGEND_CHAR_WIDTH * Math.max(10, ...visible.map((s) => s.name.length));
  const width = Math.ceil(MARGIN.left + PLOT_WIDTH + legendWidth);

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${HEIGHT}" viewBox="0 0 ${width} ${HEIGHT}" font-family="${FONT}">`,
    `<rect x="0" y="0" width="${width}" height="${HEIGHT}" fill="#ffffff"/>`,
    text(MARGIN.left + PLOT_WIDTH / 2, 28, spec.title, { size: 18, anchor: "middle", weight: "bold" }),
    ...xTicks(xAxis, px),
    ...yTicks(yAxis, py),
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${PLOT_WIDTH}" height="${plotHeight()}" fill="none" stroke="#333333"/>`,
    text(MARGIN.left + PLOT_WIDTH / 2, HEIGHT - 15, spec.xLabel, { size: 14, anchor: "middle" }),
    text(20, MARGIN.top + plotHeight() / 2, spec.yLabel, { size: 14, anchor: "middle", rotate: true }),
  ];
  visible.forEach((s, i) => parts.push(...seriesMarks(s.points, i, px, py), ...legendEntry(s.name, i)));
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

function plotHeight(): number {
  return HEIGHT - MARGIN.top - MARGIN.bottom;
}

function isDrawable(v: number, log: boolean | undefined): boolean {
  return Number.isFinite(v) && (log !== true || v > 0);
}

function xTicks(axis: Axis, px: (x: number) => number): string[] {
  const bottom = HEIGHT - MARGIN.bottom;
  return axis.ticks.flatMap((t) => [
    `<line x1="${fmt(px(t))}" y1="${MARGIN.top}" x2="${fmt(px(t))}" y2="${bottom}" stroke="#e5e5e5"/>`,
    text(px(t), bottom + 18, formatTick(t), { size: 12, anchor: "middle" }),
  ]);
}

function yTicks(axis: Axis, py: (y: number) => number): string[] {
  const right = MARGIN.left + PLOT_WIDTH;
  return axis.ticks.flatMap((t) => [
    `<line x1="${MARGIN.left}" y1="${fmt(py(t))}" x2="${right}" y2="${fmt(py(t))}" stroke="#e5e5e5"/>`,
    text(MARGIN.left - 6, py(t) + 4, formatTick(t), { size: 12, anchor: "end" }),
  ]);
}

function seriesMarks(points: ReadonlyArray<readonly [number, number]>, index: number, px: (x: number) => number, py: (y: number) => number): string[] {
  if (points.length === 0) return [];
  const color = COLORS[index % COLORS.length] ?? "#000000";
  const dash = DASHES[Math.floor(index / COLORS.length) % DASHES.length] ?? "";
  const path = points.map(([x, y], k) => `${k === 0 ? "M" : "L"}${fmt(px(x))},${fmt(py(y))}`).join(" ");
  const dashAttr = dash === "" ? "" : ` stroke-dasharray="${dash}"`;
  return [
    `<path d="${path}" fill="none" stroke="${color}" stroke-width="2"${dashAttr}/>`,
    ...points.map(([x, y]) => `<circle cx="${fmt(px(x))}" cy="${fmt(py(y))}" r="3" fill="${color}"/>`),
  ];
}

function legendEntry(name: string, index: number): string[] {
  const color = COLORS[index % COLORS.length] ?? "#000000";
  const x = MARGIN.left + PLOT_WIDTH + 15;
  const y = MARGIN.top + 10 + index * 20;
  return [
    `<line x1="${x}" y1="${y}" x2="${x + 24}" y2="${y}" stroke="${color}" stroke-width="2"/>`,
    text(x + 30, y + 4, name, { size: 12, anchor: "start" }),
  ];
}

interface TextStyle {
  size: number;
  anchor: "start" | "middle" | "end";
  weight?: "bold";
  rotate?: boolean;
}

function text(x: number, y: number, content: string, style: TextStyle): string {
  const weight = style.weight ? ` font-weight="${style.weight}"` : "";
  const rotate = style.rotate ? ` transform="rotate(-90 ${fmt(x)} ${fmt(y)})"` : "";
  return `<text x="${fmt(x)}" y="${fmt(y)}" font-size="${style.size}" text-anchor="${style.anchor}"${weight}${rotate}>${escapeXml(content)}</text>`;
}

function fmt(v: number): string {
  return v.toFixed(1);
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
