/**
 * README snippets as tests: every ```ts block of a README is a program a user pastes first, so
 * each one runs in the test suite exactly as written.
 *
 * - `extractSnippets(readme)` reads the ```ts / ```typescript blocks of a Markdown file.
 * - `runSnippet(snippet, { cwd, env })` writes one block to `<cwd>/.readme-snippets/` and runs it
 *   with Node and tsx in a child process, as a user's script would run (it must exit by itself).
 *   `cwd` is a package folder, so the block's imports resolve like a user's would: the package
 *   itself by name (Node's self-reference), its dependencies, and the root's dev dependencies
 *   (`@langchain/openai`, `@langchain/core`).
 * - `startOpenAiCompatibleServer()` serves `/v1/chat/completions` (plain and streamed) and
 *   `/v1/completions` on 127.0.0.1, so a snippet's real `ChatOpenAI` / `OpenAI` talks to it when
 *   the child gets `openAiEnvironment(server)` (`OPENAI_API_KEY`, `OPENAI_BASE_URL`).
 *
 * Snippets take vendor URLs and keys from the vendors' environment variables, never from hard-coded
 * hosts, so a test points them at the emulators through `env`.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

export interface Snippet {
  /** 1-based position among the file's TypeScript blocks. */
  index: number;
  /** Line of the opening fence in the Markdown file (1-based). */
  line: number;
  code: string;
}

export interface SnippetRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the child had to be killed at `timeoutMs` (it did not exit by itself). */
  killed: boolean;
}

export interface RunSnippetOptions {
  /** Package folder the snippet runs from (its imports resolve from there). */
  cwd: string;
  /** Environment of the child, on top of PATH and HOME only (nothing else leaks in). */
  env?: Record<string, string>;
  /** Kill the child after this long; only a hang should ever reach it. @default 60000 */
  timeoutMs?: number;
}

const FENCE = /^```(ts|typescript)\s*$/;

/** The ```ts / ```typescript blocks of a Markdown file, in order. */
export function extractSnippets(markdownPath: string): Snippet[] {
  const lines = readFileSync(markdownPath, "utf8").split("\n");
  const snippets: Snippet[] = [];
  for (let index = 0; index < lines.length; index++) {
    if (!FENCE.test(lines[index] ?? "")) continue;
    const start = index;
    const body: string[] = [];
    for (index++; index < lines.length && !/^```\s*$/.test(lines[index] ?? ""); index++) {
      body.push(lines[index] ?? "");
    }
    snippets.push({ index: snippets.length + 1, line: start + 1, code: `${body.join("\n")}\n` });
  }
  return snippets;
}

/** Runs one snippet as a script (ESM TypeScript through tsx) and resolves when it exits. */
export async function runSnippet(snippet: Snippet, options: RunSnippetOptions): Promise<SnippetRun> {
  const folder = join(options.cwd, ".readme-snippets");
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `snippet-${snippet.index}-${process.pid}-${Date.now()}.mts`);
  writeFileSync(file, snippet.code);
  try {
    return await new Promise<SnippetRun>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", file], {
        cwd: options.cwd,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "",
          NODE_NO_WARNINGS: "1",
          ...options.env,
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      let killed = false;
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const timer = setTimeout(() => {
        killed = true;
        child.kill("SIGKILL");
      }, options.timeoutMs ?? 100_000);
      child.on("close", (exitCode, signal) => {
        clearTimeout(timer);
        resolve({ exitCode, signal, stdout, stderr, killed });
      });
    });
  } finally {
    rmSync(file, { force: true });
  }
}

export interface OpenAiCompatibleServer {
  /** Base URL without `/v1`, e.g. `http://127.0.0.1:49152`. */
  url: string;
  /** Bodies of the requests received, parsed. */
  requests: Array<{ path: string; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

export interface OpenAiCompatibleServerOptions {
  /** The assistant's answer to every chat request. @default "Why did the chicken cross the road? To get to the other side." */
  reply?: string;
  /** The model name the answers report. @default "gpt-4o-mini-2024-07-18" */
  responseModel?: string;
}

/** A minimal OpenAI-compatible server on 127.0.0.1 for snippets that use a real `ChatOpenAI`. */
export async function startOpenAiCompatibleServer(
  options: OpenAiCompatibleServerOptions = {},
): Promise<OpenAiCompatibleServer> {
  const reply = options.reply ?? "Why did the chicken cross the road? To get to the other side.";
  const model = options.responseModel ?? "gpt-4o-mini-2024-07-18";
  const requests: OpenAiCompatibleServer["requests"] = [];
  const usage = { prompt_tokens: 12, completion_tokens: 14, total_tokens: 26 };
  const server = createServer((request, response) => {
    void readBody(request).then((text) => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = {};
      }
      const path = (request.url ?? "").split("?")[0] ?? "";
      requests.push({ path, body });
      const created = 1_700_000_000;
      if (path.endsWith("/chat/completions") && body.stream === true) {
        response.writeHead(200, { "content-type": "text/event-stream" });
        const chunk = (delta: Record<string, unknown>, finish: string | null, extra = {}) =>
          `data: ${JSON.stringify({
            id: "chatcmpl-readme",
            object: "chat.completion.chunk",
            created,
            model,
            choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
            ...extra,
          })}\n\n`;
        response.write(chunk({ role: "assistant", content: "" }, null));
        for (const word of reply.split(/(?<= )/)) response.write(chunk({ content: word }, null));
        response.write(chunk({}, "stop"));
        const wantsUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage;
        if (wantsUsage) {
          response.write(
            `data: ${JSON.stringify({ id: "chatcmpl-readme", object: "chat.completion.chunk", created, model, choices: [], usage })}\n\n`,
          );
        }
        response.end("data: [DONE]\n\n");
        return;
      }
      if (path.endsWith("/chat/completions")) {
        sendJson(response, {
          id: "chatcmpl-readme",
          object: "chat.completion",
          created,
          model,
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: reply },
              finish_reason: "stop",
              logprobs: null,
            },
          ],
          usage,
        });
        return;
      }
      if (path.endsWith("/completions")) {
        sendJson(response, {
          id: "cmpl-readme",
          object: "text_completion",
          created,
          model: "gpt-3.5-turbo-instruct",
          // One choice per prompt: `OpenAI.generate([a, b])` sends both prompts in one request.
          choices: (Array.isArray(body.prompt) ? body.prompt : [body.prompt]).map((_, index) => ({
            index,
            text: reply,
            finish_reason: "stop",
            logprobs: null,
          })),
          usage,
        });
        return;
      }
      response.writeHead(404, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: { message: `no route ${path}` } }));
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The environment that points the OpenAI SDK (and so `ChatOpenAI`) at the server. */
export function openAiEnvironment(server: OpenAiCompatibleServer): Record<string, string> {
  return { OPENAI_API_KEY: "sk-readme-test-key", OPENAI_BASE_URL: `${server.url}/v1` };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    request.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    request.on("end", () => resolve(text));
    request.on("error", () => resolve(text));
  });
}

function sendJson(response: import("node:http").ServerResponse, body: unknown): void {
  response.writeHead(200, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}
