import { describe, expect, it } from "vitest";
import { readEnv } from "../config/load-setting";

/** Runs `body` while `process.env` behaves as `env` does (restored afterwards, synchronously). */
function withProcessEnv<T>(descriptor: PropertyDescriptor, body: () => T): T {
  const original = Object.getOwnPropertyDescriptor(process, "env");
  Object.defineProperty(process, "env", { ...descriptor, configurable: true });
  try {
    return body();
  } finally {
    if (original) Object.defineProperty(process, "env", original);
  }
}

describe("readEnv outside Node", () => {
  it("reads nothing, without throwing, when reading the environment is refused (Deno without --allow-env)", () => {
    const refused = withProcessEnv(
      {
        get() {
          throw new Error(
            'NotCapable: Requires env access to "TRUBRICS_API_KEY", run again with --allow-env',
          );
        },
      },
      () => readEnv("TRUBRICS_API_KEY"),
    );
    expect(refused).toBeUndefined();
  });

  it("reads nothing when the runtime has a `process` without `env` (some Workers shims)", () => {
    expect(withProcessEnv({ value: undefined }, () => readEnv("TRUBRICS_API_KEY"))).toBeUndefined();
  });

  it("still reads a set variable, trimmed", () => {
    expect(withProcessEnv({ value: { TRUBRICS_API_KEY: " key " } }, () => readEnv("TRUBRICS_API_KEY"))).toBe(
      "key",
    );
  });
});
