/**
 * Orders two strings by their UTF-16 code units, as Go orders strings by their bytes for the ASCII that
 * Kubernetes names and Istio's fields are made of: istiod sorts by `<` (its DestinationRule merge order),
 * so a rule that mirrors istiod must too. Not `localeCompare`: a locale's collation is another order, and
 * its first use maps ICU's collation data into the process (about 4 MiB of resident memory in the operator,
 * issue 17; docs/operator.md, "Caches").
 */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
