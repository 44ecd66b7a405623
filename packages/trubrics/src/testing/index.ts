export {
  startTrubricsEmulator,
  type TrubricsEmulator,
  type TrubricsEmulatorOptions,
  type TrubricsEmulatorPrompt,
  type TrubricsEmulatorRoutes,
  type TrubricsEmulatorStored,
} from "./trubrics-emulator";
export { decodeFirestoreFields, decodeFirestoreValue } from "./trubrics-request-validation";
