// The answers live in EtcdProtocol (no HTTP client: what the fuzzer
// builds), the mapper, preview and settings in EtcdRules; a user of the
// source gets them with this module.
@_exported import EtcdProtocol
@_exported import EtcdRules
