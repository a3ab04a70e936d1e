// Parti's bucket layout, mapper and settings live in PartiRules; a user of
// the source gets them with this module.
@_exported import PartiRules
