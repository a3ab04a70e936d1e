// The answers live in JetStreamProtocol (no client: what the fuzzer
// builds), the mapper, preview and settings in JetStreamRules; a user of
// the source gets them with this module.
@_exported import JetStreamProtocol
@_exported import JetStreamRules
