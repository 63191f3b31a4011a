import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { withDefaults } from "../../src/api/defaults.js";
import { validateProxyService } from "../../src/api/validate.js";
import { desired } from "../../src/render/desired.js";
import { objectsInApplyOrder } from "../../src/render/documents.js";
import { renderInput } from "./arbitraries.js";

const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

describe("render, for random valid specs", () => {
  it("never throws, is deterministic, and produces well-formed objects", { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(renderInput, ({ proxyService, service }) => {
        expect(validateProxyService(proxyService)).toMatchObject({ ok: true });
        const ps = withDefaults(proxyService);
        const outcome = desired(ps, { service });
        expect(outcome.kind).toBe("desired");
        if (outcome.kind !== "desired") return;
        expect(desired(ps, { service })).toEqual(outcome);
        for (const object of objectsInApplyOrder(outcome)) {
          expect(object.metadata?.namespace).toBe(ps.metadata.namespace);
          for (const value of Object.values(object.metadata?.labels ?? {})) expect(value).toMatch(LABEL_VALUE);
        }
        const serverNames = outcome.gateway.spec.servers.map((s) => s.port.name);
        expect(new Set(serverNames).size).toBe(serverNames.length);
        expect(outcome.takenOverService.spec?.ports?.map((p) => p.port)).toEqual(service.spec?.ports?.map((p) => p.port));
        // spec.leastRequest.choices: an EnvoyFilter exactly when it is not the default, bound to the proxies, one patch per target port.
        const choices = ps.spec.leastRequest.choices;
        expect(outcome.envoyFilter === undefined).toBe(choices === 2);
        if (outcome.envoyFilter !== undefined) {
          expect(outcome.envoyFilter.spec.workloadSelector.labels).toEqual(outcome.proxySelector);
          expect(outcome.envoyFilter.spec.configPatches.length).toBe(new Set(outcome.ports.map((p) => p.targetPort)).size);
          for (const patch of outcome.envoyFilter.spec.configPatches) expect(patch.match.context).toBe("GATEWAY");
        }
      }),
      { numRuns: 300, seed: 4242 },
    );
  });
});
