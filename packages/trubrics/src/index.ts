export {
  mapRecordToTrubricsLlmEvent,
  mapRecordToTrubricsPromptDocument,
  TRUBRICS_ANONYMOUS_USER,
  TRUBRICS_DEFAULT_TAG,
  toFirestoreFields,
  toFirestoreValue,
} from "./map-record-to-trubrics";
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
export {
  TRUBRICS_DEFAULT_FIREBASE_API_KEY,
  TRUBRICS_DEFAULT_FIREBASE_PROJECT_ID,
  TRUBRICS_DEFAULT_FIRESTORE_URL,
  TRUBRICS_DEFAULT_HOST,
  TRUBRICS_DEFAULT_IDENTITY_TOOLKIT_URL,
} from "./trubrics-defaults";
export { exportTrubrics, type TrubricsExporter, type TrubricsExporterOptions } from "./trubrics-exporter";
export { VERSION } from "./version";
