@_exported import MySQLRules
