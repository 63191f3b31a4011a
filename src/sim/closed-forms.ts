/**
 * Closed-form mean response times (time in system, service rate 1 per worker) that the simulator
 * is validated against. Pure.
 */

/** M/M/1: mean time in system 1 / (mu - lambda) with mu = 1 and lambda = rho (Kleinrock, Queueing Systems vol. 1, eq. 3.26). */
export function mm1MeanResponse(rho: number): number {
  return 1 / (1 - rho);
}

/**
 * G/M/1 with Erlang-k interarrival times of rate rho (what each of k replicas sees behind one
 * round-robin balancer fed by Poisson arrivals of rate k rho). The GI/M/1 analysis (Kleinrock
 * vol. 1, sec. 6.4) gives the mean time in system 1 / (mu (1 - sigma)), where sigma in (0, 1) is
 * the root of sigma = A*(mu (1 - sigma)) and A*(s) = (k rho / (k rho + s))^k is the Laplace
 * transform of the interarrival density. Solved by bisection on f(sigma) = A*(1 - sigma) - sigma,
 * which is positive below the root and negative above it.
 */
export function erlangKM1MeanResponse(k: number, rho: number): number {
  const lambda = k * rho;
  const f = (sigma: number): number => (lambda / (lambda + 1 - sigma)) ** k - sigma;
  let lo = 0;
  let hi = 1 - 1e-12;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) > 0) lo = mid;
    else hi = mid;
  }
  return 1 / (1 - (lo + hi) / 2);
}

/**
 * Power-of-d choices (join the shortest of d queues sampled per arrival), mean-field limit as the
 * number of servers grows: the fraction of servers with at least i requests is
 * rho^((d^i - 1)/(d - 1)), and the mean time in system is sum over i >= 1 of rho^((d^i - d)/(d - 1))
 * (Mitzenmacher, "The power of two choices in randomized load balancing", IEEE TPDS 2001, Thm. 3.7;
 * Vvedenskaya, Dobrushin and Karpelevich, Problems Inform. Transmission 1996).
 */
export function powerOfDMeanResponse(d: number, rho: number): number {
  let sum = 0;
  for (let i = 1; i < 64; i++) {
    const term = rho ** ((d ** i - d) / (d - 1));
    sum += term;
    if (term < 1e-15) break;
  }
  return sum;
}

/**
 * Erlang C probability that an arrival waits in M/M/c with offered load a = lambda/mu, computed
 * from the Erlang B recursion B(0) = 1, B(n) = a B(n-1) / (n + a B(n-1)), which is stable for
 * large c; then C = c B / (c - a (1 - B)) (Kleinrock vol. 1, sec. 3.5).
 */
export function erlangC(c: number, a: number): number {
  let b = 1;
  for (let n = 1; n <= c; n++) b = (a * b) / (n + a * b);
  return (c * b) / (c - a * (1 - b));
}

/** M/M/c mean time in system with per-server utilisation rho: C(c, a) / (c mu - lambda) + 1/mu, mu = 1. */
export function mmcMeanResponse(c: number, rho: number): number {
  const a = c * rho;
  return erlangC(c, a) / (c - a) + 1;
}
