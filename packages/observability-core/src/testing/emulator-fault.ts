/**
 * One failure a vendor emulator applies to a request, the same for every vendor. The fields
 * combine; in order:
 *
 * 1. `hangMs`: wait that long before anything else (`Infinity`: never answer, and never store,
 *    until `releaseHangs()` or `close()`). A finite hang then goes on with the rest, so the request
 *    may be stored after the client gave up.
 * 2. `reset: "before-store"` (or `true`): drop the connection; nothing is stored.
 * 3. `status`: answer with it (and `body`, `headers`) instead of the vendor; nothing is stored.
 * 4. Otherwise the vendor handles the request (and may store it), then:
 *    `reset: "after-store"` drops the connection instead of answering (the post-commit loss);
 *    `malformed` cuts the vendor's answer so it is not valid JSON; `headers` are added to it.
 *
 * `malformed` with a `status` answers that status with a body that is not JSON (nothing stored).
 */
export interface EmulatorFault {
  /**
   * Which requests get the fault: a path (`"/v1/events"`), a prefix ending in `*` (`"/v1/*"`), either
   * one after a method (`"POST /v1/events"`). @default every request
   */
  route?: string;
  /** Answer with this status instead of the vendor (e.g. 429, 500, 401); nothing is stored. */
  status?: number;
  /** Body of the `status` answer (a string is sent as is, anything else as JSON). @default { error } */
  body?: unknown;
  /** Headers of the answer (e.g. `{ "retry-after": "1" }`, `{ location: "https://…" }`). */
  headers?: Record<string, string>;
  /** Drop the connection: before the vendor stores the request (`true`), or after it did. */
  reset?: "before-store" | "after-store" | boolean;
  /** Wait this long (ms) before answering; `Infinity` never answers. */
  hangMs?: number;
  /** Answer with a body that is not valid JSON. */
  malformed?: boolean;
  /**
   * How many matching requests get it. @default 1 (a fault drawn by a generator with `times: 3` hits
   * that request and the next two matching ones: a burst)
   */
  times?: number;
}

/** What a fault generator sees of a request. */
export interface EmulatorFaultRequest {
  method: string;
  /** The decoded path, without the query string. */
  path: string;
}

/** Decides the fault of one request (or none); asked for each request `failNext` has no fault for. */
export type FaultGenerator = (request: EmulatorFaultRequest) => EmulatorFault | undefined;

/** Options of `createSeededFaults`. */
export interface SeededFaultsOptions {
  /** Seed of the generator (any integer): the same seed draws the same sequence. */
  seed: number;
  /** Share of matching requests that get a fault, 0..1. */
  rate: number;
  /** The faults to draw from, each as likely as the others (list one twice to make it likelier). */
  faults: EmulatorFault[];
  /** Only requests on this route draw (see `EmulatorFault.route`). @default every request */
  route?: string;
}

/**
 * A fault generator for `injectFaults`: each matching request gets a fault with probability `rate`,
 * drawn from `faults` by a seeded pseudo-random generator (never `Math.random`), so a failing run can
 * be replayed with its seed. A drawn fault whose own `route` does not match the request is skipped.
 */
export function createSeededFaults(options: SeededFaultsOptions): FaultGenerator {
  const { seed, rate, faults, route } = options;
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}.`);
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`rate must be from 0 to 1, got ${rate}.`);
  if (!Array.isArray(faults) || (rate > 0 && faults.length === 0)) {
    throw new RangeError("faults must be a non-empty array of EmulatorFault.");
  }
  const random = createSeededRandom(seed);
  return (request) => {
    if (!matchesRoute(route, request.method, request.path)) return undefined;
    if (random() >= rate) return undefined;
    const fault = faults[Math.min(faults.length - 1, Math.floor(random() * faults.length))];
    return fault && matchesRoute(fault.route, request.method, request.path) ? fault : undefined;
  };
}

/** Whether a fault's `route` selects a request (see `EmulatorFault.route`). */
export function matchesRoute(route: string | undefined, method: string, path: string): boolean {
  if (route === undefined) return true;
  const match = /^([A-Z]+)\s+(.*)$/.exec(route.trim());
  const routeMethod = match?.[1];
  const routePath = match ? match[2]! : route.trim();
  if (routeMethod && routeMethod !== method.toUpperCase()) return false;
  return routePath.endsWith("*") ? path.startsWith(routePath.slice(0, -1)) : path === routePath;
}

/** mulberry32: small and fast, its sequence depends on the seed only. */
function createSeededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}
