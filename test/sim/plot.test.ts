import { describe, expect, it } from "vitest";
import { linePlotSvg, type PlotSpec } from "../../src/sim/plot.js";
import { niceAxis } from "../../src/sim/plot-axis.js";

const spec: PlotSpec = {
  title: "Mean latency vs load",
  xLabel: "load",
  yLabel: "latency",
  series: [
    { name: "sidecar <LR>", points: [[0.5, 1.2], [0.9, 4]] },
    { name: "proxy & K=1", points: [[0.5, 1.1], [0.9, 2]] },
  ],
};

describe("linePlotSvg", () => {
  it("draws one path per series and escapes names in the legend", () => {
    const svg = linePlotSvg(spec);
    expect(svg.startsWith("<svg ")).toBe(true);
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg).toContain("sidecar &lt;LR&gt;");
    expect(svg).toContain("proxy &amp; K=1");
  });

  it("returns the same bytes for the same spec", () => {
    expect(linePlotSvg(spec)).toBe(linePlotSvg(spec));
  });

  it("drops points a log axis cannot show instead of emitting NaN coordinates", () => {
    const svg = linePlotSvg({ ...spec, logY: true, series: [{ name: "a", points: [[1, 0], [2, 3], [3, 30]] }] });
    expect(svg).not.toContain("NaN");
    expect(svg.match(/<circle /g)).toHaveLength(2);
  });
});

describe("niceAxis", () => {
  it("covers the data with round linear ticks", () => {
    const axis = niceAxis([0.13, 0.87], false);
    expect(axis.min).toBeLessThanOrEqual(0.13);
    expect(axis.max).toBeGreaterThanOrEqual(0.87);
    expect(axis.ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });

  it("puts log ticks on 1-2-5 steps for a narrow range", () => {
    expect(niceAxis([10, 300], true).ticks).toEqual([10, 20, 50, 100, 200, 500]);
  });
});
