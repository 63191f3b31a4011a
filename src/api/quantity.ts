import { SpecError } from "./errors.js";
import type { Quantity } from "./types.js";

// Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource), the one grammar of the project: the
// CRD's pattern (schema-kinds.ts), the canonical form below and the CPU cores of sizing.ts all parse with
// QUANTITY, so a value the CRD accepts is one the renderer can read. The API server stores every quantity in a
// canonical form ("0.5" becomes "500m", "1024Mi" becomes "1Gi"), so a spec that writes one another way must be
// compared, and rendered, in that form, or every resync sees drift.

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };

/**
 * apimachinery's ParseQuantity grammar: a signed decimal number, then a binary suffix (Ki..Ei), a decimal one
 * (n..E) or an exponent, which is a whole number (`1e3`; apimachinery refuses `1e1.5`, which the pattern Kubernetes
 * publishes for Quantity in OpenAPI lets through). Written for both JavaScript and the API server's RE2.
 */
export const QUANTITY = /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$/;

/** A quantity's exact value in units of 10^-9 (Kubernetes keeps nothing finer), and its suffix family. */
export interface ParsedQuantity {
  readonly nanos: bigint;
  readonly format: "DecimalSI" | "BinarySI" | "DecimalExponent";
}

/** Parses a quantity as the API server does, rounding up below 10^-9. Throws an Error naming the value when it is not one. */
export function parseQuantity(value: Quantity): ParsedQuantity {
  const text = String(value).trim();
  const m = QUANTITY.exec(text);
  const parsed = m === null ? `"${text}" is not a Kubernetes quantity (e.g. 500m, 0.5, 128Mi, 1Gi)` : parseMatch(m);
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
}

/** A quantity field of the spec (`field` relative to spec): its value, or a SpecError naming the field. Pure. */
export function parseQuantityField(field: string, value: Quantity): ParsedQuantity {
  const m = QUANTITY.exec(String(value).trim());
  const parsed = m === null ? `${JSON.stringify(value)} is not a Kubernetes quantity` : parseMatch(m);
  if (typeof parsed === "string") throw new SpecError(field, parsed, "write it as e.g. 500m, 0.5, 2, 128Mi or 1Gi");
  return parsed;
}

/** The value of a quantity in units: nanos / 10^9, as a float. Pure. */
export function quantityValue(parsed: ParsedQuantity): number {
  return Number(parsed.nanos) / 1e9;
}

/**
 * Nanos of at most this many digits (10^51 units): far beyond any resource, and small enough that an exponent the
 * grammar allows (`1e999999999`) is refused at once instead of computed digit by digit.
 */
const MAX_NANO_DIGITS = 60;

/** The match's value, or why it cannot be one (too large). */
function parseMatch(m: RegExpExecArray): ParsedQuantity | string {
  const [, sign = "", digits = "", suffix = ""] = m;
  const [whole = "", fraction = ""] = digits.split(".");
  // value = mantissa * 10^(exponent10) * 1024^(exponent1024)
  let mantissa = BigInt(`${whole}${fraction}` || "0");
  let exponent10 = -fraction.length;
  let exponent1024 = 0;
  let format: ParsedQuantity["format"] = "DecimalSI";
  if (suffix in BINARY_SUFFIXES) {
    format = "BinarySI";
    exponent1024 = BINARY_SUFFIXES[suffix] ?? 0;
  } else if (/^[eE]/.test(suffix)) {
    format = "DecimalExponent";
    exponent10 += Number(suffix.slice(1));
  } else {
    exponent10 += DECIMAL_SUFFIXES[suffix] ?? 0;
  }
  mantissa *= 1024n ** BigInt(exponent1024);
  if (mantissa === 0n) return { nanos: 0n, format };
  // to nanos: multiply by 10^(exponent10 + 9), rounding up what falls below a nano
  const shift = exponent10 + 9;
  const digitsOf = mantissa.toString().length;
  if (digitsOf + shift > MAX_NANO_DIGITS) return `"${m[0]}" is too large a quantity (at most ${MAX_NANO_DIGITS - 9} digits before the point)`;
  let nanos: bigint;
  if (shift >= 0) nanos = mantissa * 10n ** BigInt(shift);
  else if (-shift > digitsOf) nanos = 1n; // below one nano: rounds up, without computing a huge divisor
  else {
    const divisor = 10n ** BigInt(-shift);
    nanos = mantissa / divisor + (mantissa % divisor === 0n ? 0n : 1n);
  }
  return { nanos: sign === "-" ? -nanos : nanos, format };
}

/**
 * The form the API server stores a quantity in (apimachinery's CanonicalizeBytes): no fraction, the
 * largest suffix that keeps the number whole, binary suffixes kept only for whole values of at least 1Ki.
 * Pure; throws like parseQuantity.
 */
export function canonicalQuantity(value: Quantity): string {
  const { nanos, format } = parseQuantity(value);
  if (nanos === 0n) return "0";
  const negative = nanos < 0n;
  const abs = negative ? -nanos : nanos;
  const sign = negative ? "-" : "";
  const NANO = 1_000_000_000n;
  if (format === "BinarySI" && abs >= 1024n * NANO && abs % NANO === 0n) {
    let number = abs / NANO;
    let power = 0;
    while (power < 6 && number % 1024n === 0n) {
      number /= 1024n;
      power++;
    }
    return `${sign}${number}${["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][power]}`;
  }
  // decimal: exponent a multiple of 3 from -9, as large as keeps the number whole
  let number = abs;
  let exponent = -9;
  while (exponent < 18 && number % 1000n === 0n) {
    number /= 1000n;
    exponent += 3;
  }
  if (format === "DecimalExponent") return `${sign}${number}${exponent === 0 ? "" : `e${exponent}`}`;
  const suffix = Object.entries(DECIMAL_SUFFIXES).find(([, e]) => e === exponent)?.[0] ?? "";
  return `${sign}${number}${suffix}`;
}
