export { ConfigurationError, type ConfigurationErrorOptions } from "./configuration-error";
export { ExportTimeoutError, type ExportTimeoutErrorOptions } from "./export-timeout-error";
export { ObservabilityError, type ObservabilityErrorOptions } from "./observability-error";
export {
  type DeliveryOutcome,
  isRetryableStatus,
  VendorApiError,
  type VendorApiErrorOptions,
} from "./vendor-api-error";
