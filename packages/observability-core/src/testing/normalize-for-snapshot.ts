/** Options of `normalizeForSnapshot`. */
export interface NormalizeForSnapshotOptions {
  /**
   * Keys whose values change from run to run (times, durations): their value becomes `<key>`
   * whatever it is. Added to the defaults. @default startTime, endTime, latencyMs, timeToFirstTokenMs
   */
  volatileKeys?: string[];
  /** Credentials that must never reach a snapshot: each becomes `<secret>` wherever it appears. */
  secrets?: Array<string | undefined>;
}

const DEFAULT_VOLATILE_KEYS = ["startTime", "endTime", "latencyMs", "timeToFirstTokenMs"];
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;
const HEX_ID = /^(?:[0-9a-f]{32}|[0-9a-f]{16})$/;
const LOOPBACK_PORT = /(127\.0\.0\.1|localhost|\[::1\]):\d+/g;

/**
 * The one snapshot normaliser of the testing dialect: a deep copy of `value` with what changes from
 * run to run replaced by stable placeholders, so payloads can be asserted with inline snapshots.
 *
 * - UUIDs (run ids, anywhere in a string) → `<id-1>`, `<id-2>` … numbered by first appearance, so
 *   equal ids stay equal;
 * - whole strings of 32 or 16 lower-case hex digits (trace and span ids) → `<hex32-1>`, `<hex16-1>` …;
 * - ISO-8601 timestamps (whole strings) → `<time>`;
 * - loopback ports (`127.0.0.1:49152`) → `127.0.0.1:<port>`;
 * - values under a volatile key → `<key>`;
 * - each of `secrets` → `<secret>`.
 */
export function normalizeForSnapshot<T>(value: T, options: NormalizeForSnapshotOptions = {}): T {
  const volatileKeys = new Set([...DEFAULT_VOLATILE_KEYS, ...(options.volatileKeys ?? [])]);
  const secrets = (options.secrets ?? []).filter(
    (secret): secret is string => typeof secret === "string" && secret !== "",
  );
  const ids = new Map<string, string>();
  const hexIds = new Map<string, string>();
  const seen = new WeakSet<object>();

  const visit = (item: unknown, key?: string): unknown => {
    if (key !== undefined && volatileKeys.has(key) && item !== undefined && item !== null) return `<${key}>`;
    if (typeof item === "string") return normalizeString(item);
    if (item === null || typeof item !== "object") return item;
    if (seen.has(item)) return "<cycle>";
    seen.add(item);
    try {
      if (Array.isArray(item)) return item.map((entry) => visit(entry));
      if (item instanceof Uint8Array) return `<${item.byteLength} bytes>`;
      const copy: Record<string, unknown> = {};
      for (const [entryKey, entry] of Object.entries(item)) copy[entryKey] = visit(entry, entryKey);
      return copy;
    } finally {
      seen.delete(item);
    }
  };

  const normalizeString = (text: string): string => {
    let result = text;
    for (const secret of secrets) if (result.includes(secret)) result = result.split(secret).join("<secret>");
    if (ISO_TIME.test(result)) return "<time>";
    if (HEX_ID.test(result)) {
      const kind = result.length === 32 ? "hex32" : "hex16";
      if (!hexIds.has(result)) {
        const count = [...hexIds.values()].filter((placeholder) =>
          placeholder.startsWith(`<${kind}-`),
        ).length;
        hexIds.set(result, `<${kind}-${count + 1}>`);
      }
      return hexIds.get(result)!;
    }
    return result
      .replace(UUID, (id) => {
        const lower = id.toLowerCase();
        if (!ids.has(lower)) ids.set(lower, `<id-${ids.size + 1}>`);
        return ids.get(lower)!;
      })
      .replace(LOOPBACK_PORT, "$1:<port>");
  };

  return visit(value) as T;
}
