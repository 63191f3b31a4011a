// Pins a copy of the chart to the image a release pushed (issue 20): values.yaml's image.repository and
// image.digest, so that `helm install oci://...` with no --set pulls exactly the signed digest, and
// Chart.yaml's artifacthub.io/images annotation, so that Artifact Hub lists that same image. Comments and
// the order of values.yaml are kept (the yaml package's Document API).
//
//   npx tsx hack/release/pin-chart.ts CHART_COPY_DIR REPOSITORY sha256:DIGEST
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseDocument } from "yaml";

const DIGEST = /^sha256:[0-9a-f]{64}$/;
// As the chart's files are written: flow sequences without padding, long lines left as they are.
const FORMAT = { lineWidth: 0, flowCollectionPadding: false } as const;

/** values.yaml's text with image.repository and image.digest set and image.tag emptied. Pure. */
export function pinValues(values: string, repository: string, digest: string): string {
  if (!DIGEST.test(digest)) throw new Error(`image digest "${digest}" is not sha256:<64 hex digits>; pass the digest the push reported`);
  const doc = parseDocument(values);
  if (!doc.hasIn(["image", "digest"])) throw new Error("values.yaml has no image.digest; the chart must pin its image by digest for a release");
  doc.setIn(["image", "repository"], repository);
  doc.setIn(["image", "tag"], "");
  doc.setIn(["image", "digest"], digest);
  return doc.toString(FORMAT);
}

/** Chart.yaml's text with every image of the artifacthub.io/images annotation named `name` set to `image`. Pure. */
export function pinChartImages(chart: string, name: string, image: string): string {
  const doc = parseDocument(chart);
  const annotation = doc.getIn(["annotations", "artifacthub.io/images"]);
  if (typeof annotation !== "string") throw new Error("Chart.yaml has no annotations.artifacthub.io/images; add the operator's image there");
  const images = parseDocument(annotation).toJS() as { name: string; image: string }[];
  if (!images.some((i) => i.name === name)) throw new Error(`Chart.yaml's artifacthub.io/images names no image "${name}"`);
  const pinned = images.map((i) => (i.name === name ? { ...i, image } : i));
  doc.setIn(["annotations", "artifacthub.io/images"], pinned.map((i) => `- name: ${i.name}\n  image: ${i.image}\n`).join(""));
  return doc.toString(FORMAT);
}

if (process.argv[1]?.endsWith("pin-chart.ts")) {
  const [dir, repository, digest] = process.argv.slice(2);
  if (!dir || !repository || !digest) {
    console.error("usage: npx tsx hack/release/pin-chart.ts CHART_COPY_DIR REPOSITORY sha256:DIGEST");
    process.exit(2);
  }
  const values = path.join(dir, "values.yaml");
  writeFileSync(values, pinValues(readFileSync(values, "utf8"), repository, digest));
  const chart = path.join(dir, "Chart.yaml");
  const appVersion = String(parseDocument(readFileSync(chart, "utf8")).get("appVersion"));
  writeFileSync(chart, pinChartImages(readFileSync(chart, "utf8"), "proxy-service-operator", `${repository}:${appVersion}@${digest}`));
}
