import { Command } from "commander";
import { readFileSync } from "node:fs";
import type { V1Service } from "@kubernetes/client-node";
import { parseAllDocuments, stringify } from "yaml";
import { withDefaults } from "../api/defaults.js";
import { SpecError } from "../api/errors.js";
import { KIND, type ProxyService } from "../api/types.js";
import { validateProxyService } from "../api/validate.js";
import { observeRecord } from "../api/takeover.js";
import { claimedByAnother } from "../api/claim.js";
import { desired } from "../render/desired.js";
import { objectsInApplyOrder } from "../render/documents.js";

/** Bad input for `render`: names the file, the field and the fix. Exit code 2. */
export class RenderInputError extends Error {
  override readonly name = "RenderInputError";
}

/** One input file: its name (for messages) and its text. */
export interface InputFile {
  readonly name: string;
  readonly text: string;
}

/**
 * `proxy-service render`: prints, as multi-document YAML, every object the operator would
 * apply for the ProxyServices in the files (takeover included), given the Services in the same
 * files as the cluster's current state. No cluster is contacted.
 */
export function renderCommand(): Command {
  return new Command("render")
    .description("print every object the operator would apply for a ProxyService, as multi-document YAML (no cluster)")
    .requiredOption(
      "-f, --filename <file>",
      "a YAML file with ProxyServices and the Services they front (repeatable; - for stdin)",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option("-n, --namespace <namespace>", "namespace of objects that name none", "default")
    .addHelpText(
      "after",
      "\nExample:\n  proxy-service render -f example/proxy-service-example.yaml -f example/sample-app.yaml\n\nExit codes: 0 rendered; 2 bad input (the message names the file, the field and the fix).",
    )
    .action((options: { filename: string[]; namespace: string }) => {
      try {
        const files = options.filename.map((name) => ({ name, text: readInput(name) }));
        process.stdout.write(renderFiles(files, options.namespace));
      } catch (err) {
        if (!(err instanceof RenderInputError)) throw err;
        process.stderr.write(`error: ${err.message}\n`);
        process.exitCode = 2;
      }
    });
}

function readInput(name: string): string {
  try {
    return readFileSync(name === "-" ? 0 : name, "utf8");
  } catch (cause) {
    throw new RenderInputError(`${name}: cannot be read (${(cause as Error).message}); pass an existing YAML file`, { cause });
  }
}

interface Found<T> {
  readonly file: string;
  readonly object: T;
}

/**
 * The core of `render`, without I/O: parses the files, validates each ProxyService as the API
 * server would, and renders. Throws RenderInputError for bad input. Output is deterministic.
 */
export function renderFiles(files: readonly InputFile[], namespace: string): string {
  const proxyServices: Found<ProxyService>[] = [];
  const services = new Map<string, V1Service>();
  for (const file of files) {
    for (const [index, document] of documentsOf(file).entries()) {
      const kind = (document as { kind?: unknown } | null)?.kind;
      if (kind === KIND) proxyServices.push({ file: file.name, object: checked(file.name, document) });
      else if (kind === "Service") {
        const service = document as V1Service;
        services.set(`${service.metadata?.namespace ?? namespace}/${service.metadata?.name ?? ""}`, service);
      } else if (kind !== undefined) {
        // Other kinds (the sample app's Deployment, a Namespace) are the cluster's business, not render's.
        continue;
      } else if (document !== null) {
        throw new RenderInputError(`${file.name}: document ${index + 1} has no kind; give it apiVersion and kind`);
      }
    }
  }
  if (proxyServices.length === 0) {
    throw new RenderInputError(`${files.map((f) => f.name).join(", ")}: no ProxyService found; pass a file with kind: ProxyService`);
  }
  const out: string[] = [];
  for (const { file, object } of proxyServices) {
    const proxyService = withDefaults({
      ...object,
      metadata: { ...object.metadata, namespace: object.metadata.namespace ?? namespace },
    });
    const ns = proxyService.metadata.namespace;
    const service = services.get(`${ns}/${proxyService.spec.serviceName}`);
    const rivals = proxyServices.map((p) => p.object).filter((p) => (p.metadata.namespace ?? namespace) === ns);
    const decoded = observeRecord(service);
    const claimedBy = claimedByAnother(proxyService, rivals as never, decoded.record, service?.metadata?.ownerReferences);
    const observed = {
      service,
      target: services.get(`${ns}/${proxyService.spec.target}`),
      ...(claimedBy !== undefined ? { claimedBy } : {}),
      ...decoded,
    };
    let outcome;
    try {
      outcome = desired(proxyService, observed);
    } catch (err) {
      if (err instanceof SpecError) throw new RenderInputError(`${file}: ProxyService "${proxyService.metadata.name}": ${err.message}`);
      throw err;
    }
    if (outcome.kind === "waiting") {
      throw new RenderInputError(
        `${file}: ProxyService "${proxyService.metadata.name}": ${outcome.reason}: ${outcome.message} (or pass its manifest with -f)`,
      );
    }
    for (const object of objectsInApplyOrder(outcome)) {
      out.push(stringify(object, { lineWidth: 0, aliasDuplicateObjects: false }));
    }
  }
  return out.map((doc) => `---\n${doc}`).join("");
}

/** The documents of a file, with a `kind: List` (what `kubectl get -o yaml` prints for several objects) flattened. */
function documentsOf(file: InputFile): unknown[] {
  const documents = parseAllDocuments(file.text);
  if (!Array.isArray(documents)) return [];
  return documents.flatMap((document, index) => {
    const error = document.errors[0];
    if (error !== undefined) {
      throw new RenderInputError(`${file.name}: document ${index + 1} is not valid YAML (${error.message}); fix the YAML syntax`);
    }
    const value = document.toJS() as { kind?: unknown; items?: unknown } | null;
    return value?.kind === "List" && Array.isArray(value.items) ? (value.items as unknown[]) : [value];
  });
}

function checked(file: string, document: unknown): ProxyService {
  const result = validateProxyService(document);
  if (result.ok) return result.proxyService;
  const name = (document as { metadata?: { name?: string } }).metadata?.name ?? "(unnamed)";
  const lines = result.problems.map((p) => `  ${p.field}: ${p.problem}; ${p.fix}`);
  throw new RenderInputError(`${file}: ProxyService "${name}" is invalid:\n${lines.join("\n")}`);
}
