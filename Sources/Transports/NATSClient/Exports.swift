// The parser lives in NATSProtocol (no TLS, no WebSocket: what the fuzzer
// builds); a user of the client gets it with this module.
@_exported import NATSProtocol
