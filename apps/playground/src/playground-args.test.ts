import { describe, expect, it } from "vitest";
import { parsePlaygroundArgs } from "./playground-args";

describe("the playground's command line", () => {
  it("accepts a leading -- (what `pnpm playground -- --scenario x` passes)", () => {
    expect(parsePlaygroundArgs(["--", "--scenario", "chat-system", "--show-payloads"])).toEqual({
      scenarios: ["chat-system"],
      list: false,
      json: false,
      showPayloads: true,
      help: false,
      ui: false,
      port: 0,
      runAll: false,
    });
    expect(parsePlaygroundArgs(["--scenario", "a", "--", "--scenario", "b"]).scenarios).toEqual(["a", "b"]);
  });

  it("reads --ui, --port and --run-all", () => {
    expect(parsePlaygroundArgs(["--ui", "--port", "5178", "--run-all"])).toMatchObject({
      ui: true,
      port: 5178,
      runAll: true,
    });
  });

  it("refuses unknown options, positionals and a bad port", () => {
    expect(() => parsePlaygroundArgs(["--scenari", "x"])).toThrow(/Unknown option '--scenari'/);
    expect(() => parsePlaygroundArgs(["chat-system"])).toThrow(/Unexpected argument 'chat-system'/);
    expect(() => parsePlaygroundArgs(["--ui", "--port", "http"])).toThrow(
      '--port must be an integer from 0 to 65535, got "http".',
    );
  });
});
