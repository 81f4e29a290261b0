// What users of Spool need from the lower layers: errors, status types, schemas and the validator.
@_exported import SpoolSchema
@_exported import SpoolStorage
