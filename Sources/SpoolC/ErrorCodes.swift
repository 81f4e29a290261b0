import Spool

/// The stable numbers of `spool.h`'s `spool_code`: one per `SpoolError.Code`, plus the call's own failures.
/// Numbers are never reused or changed; a code added to the library later maps to `other` until it gets one.
enum CCode {
    static let ok: Int32 = 0
    static let invalidArgument: Int32 = 100
    static let bufferTooSmall: Int32 = 101
    static let other: Int32 = 255

    private static let numbered: [(SpoolError.Code, Int32)] = [
        (.invalidJSON, 1), (.notAnObject, 2), (.invalidTableName, 3), (.rowTooLarge, 4), (.invalidInsertId, 5),
        (.schemaViolation, 6), (.unknownTable, 7), (.spoolFull, 8), (.diskFull, 9), (.notADatabase, 10),
        (.corrupt, 11), (.newerVersion, 12), (.olderVersion, 13), (.cannotOpen, 14), (.readOnly, 15), (.busy, 16),
        (.closed, 17), (.io, 18), (.invalidConfiguration, 19), (.storage, 20), (.notASpool, 21), (.alreadyRunning, 22),
        (.credentials, 23),
    ]
    private static let byCode = Dictionary(uniqueKeysWithValues: numbered)
    private static let names: [Int32: StaticString] = [
        0: "ok", 1: "invalidJSON", 2: "notAnObject", 3: "invalidTableName", 4: "rowTooLarge", 5: "invalidInsertId",
        6: "schemaViolation", 7: "unknownTable", 8: "spoolFull", 9: "diskFull", 10: "notADatabase", 11: "corrupt",
        12: "newerVersion", 13: "olderVersion", 14: "cannotOpen", 15: "readOnly", 16: "busy", 17: "closed", 18: "io",
        19: "invalidConfiguration", 20: "storage", 21: "notASpool", 22: "alreadyRunning", 23: "credentials", 100: "invalidArgument", 101: "bufferTooSmall", 255: "other",
    ]

    static func number(for code: SpoolError.Code) -> Int32 {
        byCode[code] ?? other
    }

    /// A NUL-terminated static string: the Swift code's own name, so both sides of the ABI say the same word.
    static func name(of number: Int32) -> UnsafePointer<CChar> {
        let name = names[number] ?? "other"
        return UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)
    }
}

/// A failure on its way to the caller's `spool_error`: a code of `spool.h` and a message without payload values.
struct CFailure: Error {
    let code: Int32
    let message: String

    init(_ code: Int32, _ message: String) {
        self.code = code
        self.message = message
    }

    init(_ error: SpoolError) {
        self.init(CCode.number(for: error.code), error.message)
    }

    static func closed(_ handle: UInt64) -> CFailure {
        CFailure(CCode.number(for: .closed), "spool handle \(handle) is closed (or was never opened)")
    }

    /// Fills the caller's `spool_error` (int32 code, then a 512-byte message buffer), truncating the message at a
    /// character boundary, and returns the code.
    func report(to error: UnsafeMutableRawPointer?) -> Int32 {
        guard let error else { return code }
        error.storeBytes(of: code, as: Int32.self)
        let buffer = (error + MemoryLayout<Int32>.size).assumingMemoryBound(to: UInt8.self)
        var bytes = 0
        for character in message {
            let utf8 = character.utf8
            guard bytes + utf8.count < messageCapacity else { break }
            for byte in utf8 {
                buffer[bytes] = byte
                bytes += 1
            }
        }
        buffer[bytes] = 0
        return code
    }
}

/// `SPOOL_MESSAGE_CAPACITY` of spool.h.
let messageCapacity = 512

/// Clears the caller's `spool_error` after a success, so a reused struct never shows a stale failure.
func reportSuccess(to error: UnsafeMutableRawPointer?) -> Int32 {
    guard let error else { return CCode.ok }
    error.storeBytes(of: CCode.ok, as: Int32.self)
    (error + MemoryLayout<Int32>.size).storeBytes(of: 0, as: UInt8.self)
    return CCode.ok
}
