/** The ingestion API the official SDKs use. */
export const TRUBRICS_DEFAULT_HOST = "https://app.trubrics.com/api/ingestion";
/** The public Firebase Web API key hard-coded in the legacy SDK (its source says it is not a secret). */
export const TRUBRICS_DEFAULT_FIREBASE_API_KEY = "AIzaSyB6WPIVzMaRCnlL1ZmRosrQsbQYYagZARQ";
/** The Firebase project of the legacy Trubrics platform. */
export const TRUBRICS_DEFAULT_FIREBASE_PROJECT_ID = "trubrics-streamlit";
/** Firebase Identity Toolkit, where the legacy platform signs in. */
export const TRUBRICS_DEFAULT_IDENTITY_TOOLKIT_URL = "https://identitytoolkit.googleapis.com";
/** The Firestore REST API, where the legacy platform keeps prompts. */
export const TRUBRICS_DEFAULT_FIRESTORE_URL = "https://firestore.googleapis.com";
