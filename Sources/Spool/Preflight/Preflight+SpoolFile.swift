import Foundation
import SpoolStorage

extension Preflight {
    /// The spool file: it opens read-only (nothing is written, migrated or checkpointed, and no -wal/-shm file is
    /// created for a file nobody has open), its schema version, size and WAL size, `PRAGMA quick_check`, the running
    /// totals recounted from the rows, and the uploader lease. A file that does not exist yet passes when its
    /// folder is writable: the application creates it on its first append.
    ///
    /// - Parameter now: Unix milliseconds, to tell a live lease from an expired one; the wall clock when nil.
    public static func checkSpoolFile(at path: String, now: Int64? = nil) -> [PreflightCheck] {
        guard FileManager.default.fileExists(atPath: path) else {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                return [.fail(.spoolFile, "spool \(path) cannot be created: the folder \(folder) does not exist")]
            }
            guard FileManager.default.isWritableFile(atPath: folder) else {
                return [.fail(.spoolFile, "spool \(path) cannot be created: the folder \(folder) is not writable by this user")]
            }
            return [.pass(.spoolFile, "spool \(path) does not exist yet; its folder is writable (the application creates it on its first append)")]
        }
        let outbox: Outbox
        do {
            outbox = try openForInspection(path)
        } catch {
            return [.fail(.spoolFile, "spool \(path) cannot be opened (\(error.code)): \(error.message)")]
        }
        defer { outbox.close() }
        let status: SpoolStatus
        do {
            status = try outbox.status()
        } catch {
            return [.fail(.spoolFile, "spool \(path) opens but cannot be read (\(error.code)): \(error.message)")]
        }
        var checks: [PreflightCheck] = [
            .pass(
                .spoolFile,
                "spool \(path): schema version \(status.schemaVersion), \(ByteCount.text(status.databaseBytes)), WAL \(ByteCount.text(status.walBytes)); \(status.pendingRows) pending rows, \(status.deadLetterRows) dead letters"
            )
        ]
        do {
            let answer = try outbox.check()
            if answer == ["ok"] {
                checks.append(.pass(.spoolIntegrity, "quick_check: ok"))
                // Only a sound file is worth recounting: damage is reported once, above.
                checks.append(totalsCheck(outbox, path: path))
            } else {
                checks.append(.fail(.spoolIntegrity, "quick_check found damage in \(path): copy the file away before anything writes to it", details: Array(answer.prefix(20))))
            }
        } catch {
            checks.append(.fail(.spoolIntegrity, "quick_check of \(path) failed (\(error.code)): \(error.message)"))
        }
        checks.append(.pass(.spoolLease, leaseText(status.lease, pendingRows: status.pendingRows, now: now ?? WallClock.nowMillis())))
        return checks
    }

    /// The per-table running totals that status, the gauges and the cap read, recounted from the rows.
    private static func totalsCheck(_ outbox: Outbox, path: String) -> PreflightCheck {
        do {
            let drift = try outbox.totalsDrift()
            guard drift.isEmpty else {
                return .fail(.spoolIntegrity, "running totals of \(path) differ from its rows: repair them with `spoolctl doctor --repair-totals`", details: drift.prefix(20).map(\.description))
            }
            return .pass(.spoolIntegrity, "running totals match the rows")
        } catch {
            return .fail(.spoolIntegrity, "running totals of \(path) could not be recounted (\(error.code)): \(error.message)")
        }
    }

    /// Event tables with rows waiting in the spool file, read the same way; none when it cannot be read (the spool
    /// checks say why). A table name in code that matches no BigQuery table shows up through these.
    public static func waitingTables(inSpoolAt path: String) -> [String] {
        guard FileManager.default.fileExists(atPath: path), let outbox = try? openForInspection(path) else { return [] }
        defer { outbox.close() }
        return ((try? outbox.status().tables) ?? []).filter { $0.pendingRows > 0 }.map(\.table)
    }

    /// Read-only, and only a spool of this version: without locks or side files when no -wal exists (no connection
    /// has the file open).
    private static func openForInspection(_ path: String) throws(SpoolError) -> Outbox {
        var options = Outbox.Options()
        options.access = .readOnly
        options.opening = .existingOnly
        return try Outbox(path: path, options: options)
    }

    private static func leaseText(_ lease: UploaderLease?, pendingRows: Int, now: Int64) -> String {
        guard let lease else {
            return "uploader lease: free (no uploader holds it)\(pendingRows > 0 ? "; \(pendingRows) rows wait for one" : "")"
        }
        if lease.expiresAt > now {
            return "uploader lease: held by \(lease.holder), renewed \(seconds(now - lease.renewedAt)) ago, expires in \(seconds(lease.expiresAt - now))"
        }
        return "uploader lease: expired \(seconds(now - lease.expiresAt)) ago (last holder \(lease.holder)); no uploader drains this file now"
    }

    private static func seconds(_ milliseconds: Int64) -> String {
        "\(max(milliseconds, 0) / 1000) s"
    }
}

/// Sizes for people: `512 B`, `1.5 KiB`, `3.2 MiB`.
enum ByteCount {
    static func text(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}
