import Testing

/// Every reliability scenario, one at a time: they load the machine (child processes, the emulator, timing-sensitive
/// faults), and an uploader's `run()` needs a free thread of the cooperative pool to start.
@Suite("Reliability", .serialized)
struct Reliability {}
