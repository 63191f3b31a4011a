import { Reasons, type ConditionReason } from "./conditions.js";

/**
 * The user's to fix: names the field, the problem and the fix. Terminal: the operator sets the
 * condition (with `reason`) and emits a Warning event, and does not retry until something changes.
 * What the CRD schema and CEL can check, they check; SpecError is for what needs the cluster
 * (the Services) to judge.
 */
export class SpecError extends Error {
  override readonly name = "SpecError";
  constructor(
    readonly field: string,
    readonly problem: string,
    readonly fix: string,
    /** The condition reason the operator reports: SpecInvalid, or TakeoverRefused for a Service we cannot carry. */
    readonly reason: ConditionReason = Reasons.SpecInvalid,
  ) {
    super(`spec.${field}: ${problem}; ${fix}`);
  }
}
