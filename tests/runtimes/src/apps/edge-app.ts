/**
 * Entry of the matrix app for Vercel's Edge Runtime (`edge-light`): a fetch-event handler whose
 * request body carries the vendors' URLs and keys (there is no process environment to read).
 */
import { type MatrixAppOptions, runMatrixApp } from "./matrix-app.ts";

interface FetchEventLike {
  request: Request;
  respondWith(response: Promise<Response>): void;
}

addEventListener("fetch", (event) => {
  const fetchEvent = event as unknown as FetchEventLike;
  fetchEvent.respondWith(
    fetchEvent.request
      .json()
      .then((options) => runMatrixApp(options as MatrixAppOptions))
      .then((report) => Response.json(report)),
  );
});
