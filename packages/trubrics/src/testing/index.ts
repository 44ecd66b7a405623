export {
  createTrubricsEmulator,
  decodeFirestoreFields,
  decodeFirestoreValue,
  type TrubricsEmulator,
  type TrubricsEmulatorFault,
  type TrubricsEmulatorFaultInjector,
  type TrubricsEmulatorOptions,
  type TrubricsEmulatorPrompt,
  type TrubricsEmulatorRequest,
  type TrubricsEmulatorRoute,
} from "./trubrics-emulator";
