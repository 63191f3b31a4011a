import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { pinChartImages, pinValues } from "../../../hack/release/pin-chart.js";

const chartDir = path.resolve(import.meta.dirname, "../../../charts/proxy-service-operator");
const digest = `sha256:${"ab".repeat(32)}`;

describe("pinValues and pinChartImages (the release's chart names the pushed image by digest)", () => {
  it("sets image.repository and image.digest, empties image.tag, and keeps every comment and other value", () => {
    const values = readFileSync(path.join(chartDir, "values.yaml"), "utf8");
    const pinned = pinValues(values, "127.0.0.1:5000/proxy-service-operator", digest);
    expect(parse(pinned).image).toEqual({ ...parse(values).image, repository: "127.0.0.1:5000/proxy-service-operator", tag: "", digest });
    const { image: _pinnedImage, ...pinnedRest } = parse(pinned) as Record<string, unknown>;
    const { image: _image, ...rest } = parse(values) as Record<string, unknown>;
    expect(pinnedRest).toEqual(rest);
    const comments = (text: string): string[] => text.split("\n").filter((l) => l.trim().startsWith("#"));
    expect(comments(pinned)).toEqual(comments(values));
  });

  it("refuses a digest that is not sha256:<64 hex>, naming the value", () => {
    expect(() => pinValues("image:\n  digest: \"\"\n", "r", "sha256:abc")).toThrow(/"sha256:abc" is not sha256:<64 hex digits>/);
  });

  it("points the artifacthub.io/images annotation at the pushed image and leaves the other annotations alone", () => {
    const chart = readFileSync(path.join(chartDir, "Chart.yaml"), "utf8");
    const image = `127.0.0.1:5000/proxy-service-operator:0.1.0@${digest}`;
    const pinned = parse(pinChartImages(chart, "proxy-service-operator", image)) as { annotations: Record<string, string> };
    expect(parse(pinned.annotations["artifacthub.io/images"]!)).toEqual([{ name: "proxy-service-operator", image }]);
    const { "artifacthub.io/images": _a, ...others } = pinned.annotations;
    const { "artifacthub.io/images": _b, ...before } = (parse(chart) as { annotations: Record<string, string> }).annotations;
    expect(others).toEqual(before);
  });

  it("refuses a Chart.yaml whose images annotation does not name the operator's image", () => {
    expect(() => pinChartImages("annotations:\n  artifacthub.io/images: |\n    - name: other\n      image: x\n", "proxy-service-operator", "y")).toThrow(/names no image "proxy-service-operator"/);
  });
});
