// The public surface: the handler, the exporter factory, their option types, the wire types and the
// default base URL. Mappers, transports, the Firebase session and the Firestore encoder are internal.
export type {
  FirebaseSignInRequest,
  FirebaseSignInResponse,
  FirestoreDocument,
  FirestoreListDocumentsResponse,
  FirestoreRunQueryRequest,
  FirestoreRunQueryResponse,
  FirestoreValue,
  GoogleApiErrorBody,
  TrubricsEvent,
  TrubricsIngestionErrorBody,
  TrubricsLlmEvent,
  TrubricsLlmEventProperties,
  TrubricsMessage,
  TrubricsPromptDocument,
  TrubricsRunProperties,
  TrubricsToolCall,
  TrubricsUsage,
} from "./trubrics-api";
export { TrubricsCallbackHandler, type TrubricsCallbackHandlerOptions } from "./trubrics-callback-handler";
export { createTrubricsExporter, exportTrubrics, type TrubricsExporter } from "./trubrics-exporter";
export { TRUBRICS_DEFAULT_BASE_URL, type TrubricsExporterOptions } from "./trubrics-settings";
export { VERSION } from "./version";
