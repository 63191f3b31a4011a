import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { linePlotSvg, type PlotSpec } from "../sim/plot.js";

// PNG is rendered at twice the SVG's size so text stays sharp on high-density screens.
const PNG_SCALE = 2;

/**
 * Writes `<baseName>.svg` and `<baseName>.png` into `dir` (created if missing) and returns their paths.
 * Text uses system fonts (DejaVu Sans on Debian: package fonts-dejavu-core); without any font the
 * PNG still renders, only without labels. Throws on I/O failure.
 */
export async function writePlot(dir: string, baseName: string, spec: PlotSpec): Promise<{ svg: string; png: string }> {
  await mkdir(dir, { recursive: true });
  const svgText = linePlotSvg(spec);
  const svg = join(dir, `${baseName}.svg`);
  const png = join(dir, `${baseName}.png`);
  // Loaded here, not at the top: it is a native addon of several MiB that every other command (the
  // operator above all) would carry in memory without ever using it.
  const { Resvg } = await import("@resvg/resvg-js");
  const rendered = new Resvg(svgText, {
    fitTo: { mode: "zoom", value: PNG_SCALE },
    background: "#ffffff",
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
  }).render();
  await writeFile(svg, svgText);
  await writeFile(png, rendered.asPng());
  return { svg, png };
}
