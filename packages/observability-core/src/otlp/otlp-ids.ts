const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/**
 * The OTLP trace id (32 hex characters) of a LangChain trace: the root run's UUID without dashes, so
 * the same trace always gets the same id (a resend is idempotent) and it can be looked up by run id.
 * Another id shape is hashed.
 */
export function toOtlpTraceId(traceId: string): string {
  const hex = UUID.test(traceId) ? traceId.replaceAll("-", "").toLowerCase() : hashHex(traceId, 4);
  return /^0+$/.test(hex) ? "00000000000000000000000000000001" : hex;
}

/**
 * The OTLP span id (16 hex characters) of a LangChain run: the two halves of its UUID XORed, so that
 * the random bits of UUID v4 and of UUID v7 (whose first half is a timestamp) both count. The same run
 * id always gives the same span id. Another id shape is hashed.
 */
export function toOtlpSpanId(runId: string): string {
  let hex: string;
  if (UUID.test(runId)) {
    const digits = runId.replaceAll("-", "");
    hex = "";
    for (let index = 0; index < 16; index += 8) {
      const high = Number.parseInt(digits.slice(index, index + 8), 16);
      const low = Number.parseInt(digits.slice(index + 16, index + 24), 16);
      hex += ((high ^ low) >>> 0).toString(16).padStart(8, "0");
    }
  } else hex = hashHex(runId, 2);
  return hex === "0000000000000000" ? "0000000000000001" : hex;
}

/** `words` 32-bit FNV-1a hashes of the text, each with its own seed, as hex. */
function hashHex(text: string, words: number): string {
  let hex = "";
  for (let word = 0; word < words; word++) {
    let hash = (0x811c9dc5 ^ Math.imul(word + 1, 0x9e3779b1)) >>> 0;
    for (let index = 0; index < text.length; index++) {
      hash ^= text.charCodeAt(index);
      hash = Math.imul(hash, 0x01000193);
    }
    hex += (hash >>> 0).toString(16).padStart(8, "0");
  }
  return hex;
}

/** Epoch milliseconds (fractions kept to the microsecond) as OTLP's decimal nanosecond string. */
export function toUnixNanos(epochMs: number): string {
  if (!Number.isFinite(epochMs) || epochMs <= 0) return "0";
  const micros = Math.round(epochMs * 1000);
  return `${micros}000`;
}
