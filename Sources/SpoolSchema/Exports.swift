// The JSON layer was part of this module before it became a target of its own (SpoolJSON): re-exported, so that code
// importing SpoolSchema (or Spool, which re-exports this module) still sees JSONValue, JSONParser and the rest.
@_exported import SpoolJSON
