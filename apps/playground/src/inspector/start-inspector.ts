import { type InspectorServer, startInspectorServer } from "./inspector-server";
import {
  type InspectorSession,
  type InspectorSessionOptions,
  startInspectorSession,
} from "./inspector-session";

export interface Inspector {
  url: string;
  session: InspectorSession;
  close(): Promise<void>;
}

/** Starts the inspector: the session (emulators, handler, exporters) and its page on 127.0.0.1. */
export async function startInspector(
  options: InspectorSessionOptions & { port?: number } = {},
): Promise<Inspector> {
  const { port, ...sessionOptions } = options;
  const session = await startInspectorSession(sessionOptions);
  let server: InspectorServer;
  try {
    server = await startInspectorServer(session, port === undefined ? {} : { port });
  } catch (error) {
    await session.close();
    throw error;
  }
  return {
    url: server.url,
    session,
    async close() {
      await server.close();
      await session.close();
    },
  };
}
