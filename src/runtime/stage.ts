/**
 * Runs one step of a reconcile, re-throwing its failure as `<step>: <message>` with the original as `cause`
 * (as Pepr does), so the one log line at the worker says which step failed and why.
 */
export async function stage<T>(name: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw new Error(`${name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
