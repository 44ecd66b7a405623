import type { HttpClient, HttpRequest } from "../http/create-http-client";

/** Longer than any request's deadline; cleared as soon as the request settles. */
const HOLD_MS = 2_147_483_647;

/**
 * Keeps the process alive until `promise` settles, with one ref'd timer (a no-op where timers do
 * not hold a process: Workers, edge functions, browsers). The node:http transport's sockets and the
 * client's retry delays are unref'd so that background exports never hold a process; a request
 * someone awaits (`fromCredentials`, `PromptLayerClient`) must, or a script exits under its `await`.
 */
export function holdProcessUntilSettled<T>(promise: Promise<T>): Promise<T> {
  const timer = setTimeout(() => {}, HOLD_MS);
  const release = () => clearTimeout(timer);
  promise.then(release, release);
  return promise;
}

/** Whether a request holds the process: as asked, else when it has no `signal` (exports carry one). */
export function holdsProcess(request: HttpRequest): boolean {
  return request.holdProcess ?? request.signal === undefined;
}

/** The client whose `request()` holds the process for the requests that `holdsProcess` says. */
export function withProcessHold<TClient extends HttpClient>(client: TClient): TClient {
  const request = client.request;
  return {
    ...client,
    request: (httpRequest: HttpRequest) =>
      holdsProcess(httpRequest) ? holdProcessUntilSettled(request(httpRequest)) : request(httpRequest),
  };
}
