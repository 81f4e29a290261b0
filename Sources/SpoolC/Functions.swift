import Spool

// The functions of include/spool.h. Nothing Swift crosses the boundary: numbers, C strings and caller buffers.
// `error` is a `spool_error *` (an int32 code, then a message buffer), filled by `CFailure.report(to:)`.

/// Runs `body`, turning any failure into the return code and the caller's `spool_error`.
private func report(_ error: UnsafeMutableRawPointer?, _ body: () throws(CFailure) -> Void) -> Int32 {
    do throws(CFailure) {
        try body()
        return reportSuccess(to: error)
    } catch let failure {
        return failure.report(to: error)
    }
}

private func required<T>(_ pointer: T?, _ name: String) throws(CFailure) -> T {
    guard let pointer else { throw CFailure(CCode.invalidArgument, "\(name) must not be NULL") }
    return pointer
}

@_cdecl("spool_open")
public func spool_open(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<UInt64>?, _ error: UnsafeMutableRawPointer?) -> Int32 {
    report(error) { () throws(CFailure) in
        let path = String(cString: try required(path, "path"))
        let out = try required(out, "out")
        let spool: Spool
        do throws(SpoolError) {
            spool = try Spool(path: path)
        } catch {
            throw CFailure(error)
        }
        out.pointee = OpenSpools.add(OpenSpool(spool: spool, file: nil))
    }
}

@_cdecl("spool_open_config")
public func spool_open_config(_ configPath: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<UInt64>?, _ error: UnsafeMutableRawPointer?) -> Int32 {
    report(error) { () throws(CFailure) in
        let out = try required(out, "out")
        let located = SpoolConfigurationFile.locate(explicit: configPath.map { String(cString: $0) })
        let file: SpoolConfigurationFile
        let spool: Spool
        do {
            file = try SpoolConfigurationFile.load(path: located)
            guard let path = file.spoolPath else {
                throw CFailure(
                    CCode.number(for: .invalidConfiguration),
                    located.map { "the configuration file \($0) names no spool.path" }
                        ?? "no configuration file was found ($SPOOL_CONFIG, \(SpoolConfigurationFile.defaultPath)) and SPOOL_DB is not set"
                )
            }
            spool = try Spool(path: path, configuration: file.spool)
        } catch let error as CFailure {
            throw error
        } catch let error as SpoolError {
            throw CFailure(error)
        } catch {
            throw CFailure(CCode.other, "\(error)")
        }
        out.pointee = OpenSpools.add(OpenSpool(spool: spool, file: file))
    }
}

@_cdecl("spool_append")
public func spool_append(
    _ handle: UInt64, _ table: UnsafePointer<CChar>?, _ json: UnsafePointer<CChar>?, _ jsonLength: Int,
    _ insertId: UnsafeMutablePointer<CChar>?, _ insertIdCapacity: Int, _ error: UnsafeMutableRawPointer?
) -> Int32 {
    report(error) { () throws(CFailure) in
        let table = String(cString: try required(table, "table"))
        let bytes = UnsafeRawBufferPointer(start: try required(json, "json"), count: jsonLength)
        guard let text = String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw CFailure(CCode.number(for: .invalidJSON), "a row for \(table) is not valid UTF-8")
        }
        let open = try OpenSpools.get(handle)
        let id: String
        do throws(SpoolError) {
            id = try open.spool.append(json: text, to: table)
        } catch {
            throw CFailure(error)
        }
        guard let insertId else { return }
        let utf8 = id.utf8
        guard utf8.count < insertIdCapacity else {
            throw CFailure(CCode.bufferTooSmall, "the row was committed, but its insert id (\(utf8.count) bytes) does not fit in \(insertIdCapacity) bytes")
        }
        var index = 0
        for byte in utf8 {
            insertId[index] = CChar(bitPattern: byte)
            index += 1
        }
        insertId[index] = 0
    }
}

@_cdecl("spool_close")
public func spool_close(_ handle: UInt64, _ error: UnsafeMutableRawPointer?) -> Int32 {
    report(error) { () throws(CFailure) in
        try OpenSpools.remove(handle).close()
    }
}

@_cdecl("spool_uploader_start")
public func spool_uploader_start(_ handle: UInt64, _ error: UnsafeMutableRawPointer?) -> Int32 {
    report(error) { () throws(CFailure) in
        try OpenSpools.get(handle).startUploader()
    }
}

@_cdecl("spool_uploader_stop")
public func spool_uploader_stop(_ handle: UInt64, _ error: UnsafeMutableRawPointer?) -> Int32 {
    report(error) { () throws(CFailure) in
        guard try OpenSpools.get(handle).stopUploader() else {
            throw CFailure(CCode.number(for: .invalidConfiguration), "no uploader was started for spool handle \(handle)")
        }
    }
}

@_cdecl("spool_code_name")
public func spool_code_name(_ code: Int32) -> UnsafePointer<CChar> {
    CCode.name(of: code)
}
