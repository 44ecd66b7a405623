import { startSink } from "./sink-server.ts";

const sink = await startSink(() => ({ status: 200, body: {} }));
console.log(sink.url);
