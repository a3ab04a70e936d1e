// The Redis engine's rules (previews, mappers, CLUSTER NODES) and the RESP
// client live in targets of their own; a user of the connectors gets them
// with this module.
@_exported import RESPClient
@_exported import RESPProtocol
@_exported import RedisRules
