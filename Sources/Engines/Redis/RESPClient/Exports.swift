// The values a connection answers with are RESPProtocol's.
@_exported import RESPProtocol
