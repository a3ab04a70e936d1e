// The REST and watch readers live in PatroniProtocol (no HTTP client: what
// the fuzzer builds), the preview, mapper and settings in PatroniRules; a
// user of the source gets them with this module.
@_exported import PatroniProtocol
@_exported import PatroniRules
