import Spool

/// `spoolctl status` output: a compact table for people (80 columns) and a stable JSON shape for programs.
struct StatusReport {
    let path: String
    let status: SpoolStatus
    let findings: [StatusFindings.Finding]
    let now: Int64
    /// As the configuration says: the file itself does not record it.
    var durability: Spool.Durability = .normal
    var fullDurabilityTables: [String] = []
    /// The API the configuration's (else the recorded) destination delivers with; nil when neither names one.
    var api: DeliveryAPI?
    /// The tables' current Storage Write streams, as the file records them.
    var writeStreams: [WriteStreamState] = []

    // MARK: Text

    func text() -> String {
        var lines: [String] = []
        lines.append("spool   \(TerminalText.value(path))")
        lines.append("        \(NumberText.bytes(status.databaseBytes)), WAL \(NumberText.bytes(status.walBytes)), schema version \(status.schemaVersion)")
        lines.append(durabilityLine())
        lines.append(apiLine())
        if let lease = status.lease {
            let state = lease.expiresAt > now ? "renewed \(TimeText.relative(millis: lease.renewedAt, now: now))" : "expired \(TimeText.relative(millis: lease.expiresAt, now: now))"
            lines.append("lease   \(TerminalText.value(lease.holder)) since \(TimeText.short(millis: lease.acquiredAt)) (\(state))")
        } else {
            lines.append("lease   none: no uploader is draining this file")
        }
        if let last = status.lastSuccessAt {
            lines.append("upload  last success \(TimeText.short(millis: last)) (\(TimeText.relative(millis: last, now: now)))")
        } else {
            lines.append("upload  no successful upload recorded")
        }
        lines.append("")
        if status.tables.isEmpty {
            lines.append("The spool is empty: nothing pending, no dead letters.")
        } else {
            lines.append(contentsOf: tableLines())
            let details = detailLines()
            if !details.isEmpty {
                lines.append("")
                lines.append(contentsOf: details)
            }
        }
        if !findings.isEmpty {
            lines.append("")
            lines.append("needs attention:")
            lines.append(contentsOf: findings.map { "  \(TerminalText.value($0.message))" })
        }
        return lines.joined(separator: "\n")
    }

    private func durabilityLine() -> String {
        if durability == .full || fullDurabilityTables.isEmpty {
            return "durable \(durability.rawValue) for every table (as configured)"
        }
        return "durable full for \(fullDurabilityTables.joined(separator: ", ")); normal for the rest (as configured)"
    }

    private func apiLine() -> String {
        switch api {
        case .insertAll: return "api     insertAll (at least once)"
        case .storageWrite: return "api     storageWrite (exactly once: COMMITTED streams, offsets kept in this file)"
        case nil: return "api     unknown: no destination configured or recorded"
        }
    }

    private func tableLines() -> [String] {
        let nameWidth = min(32, max(5, status.tables.map { TerminalText.value($0.table).count }.max() ?? 0))
        func row(_ name: String, _ pending: String, _ bytes: String, _ oldest: String, _ next: String, _ dead: String) -> String {
            let columns = [
                Column.left(name, nameWidth), Column.right(pending, 7), Column.right(bytes, 7), Column.right(oldest, 6),
                Column.left(next, 9), Column.right(dead, 5),
            ]
            var line = columns.joined(separator: "  ")
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
        var lines = [row("TABLE", "PENDING", "BYTES", "OLDEST", "NEXT TRY", "DEAD")]
        for table in status.tables {
            let dead = table.deadLetters.values.reduce(0, +)
            lines.append(row(
                TerminalText.value(table.table), NumberText.count(table.pendingRows), NumberText.bytes(table.pendingBytes),
                table.oldestCreatedAt.map { TimeText.span(millis: now - $0) } ?? "-", nextTry(table), NumberText.count(dead)
            ))
        }
        let oldest = status.tables.compactMap(\.oldestCreatedAt).min()
        lines.append(row(
            "TOTAL", NumberText.count(status.pendingRows), NumberText.bytes(status.pendingBytes),
            oldest.map { TimeText.span(millis: now - $0) } ?? "-", "", NumberText.count(status.deadLetterRows)
        ))
        return lines
    }

    private func nextTry(_ table: TableStatus) -> String {
        if table.isPaused { return "paused" }
        guard table.pendingRows > 0, let next = table.nextAttemptAt else { return "-" }
        return next <= now ? "now" : "in \(TimeText.span(millis: next - now))"
    }

    private func detailLines() -> [String] {
        var lines: [String] = []
        for table in status.tables {
            let name = TerminalText.value(table.table)
            if table.isPaused, let since = table.pausedSince {
                lines.append("paused  \(name) since \(TimeText.short(millis: since)) (\(TimeText.relative(millis: since, now: now))): \(TerminalText.value(table.pauseReason ?? "no reason recorded"))")
                if let error = table.lastError { lines.append("        last error: \(TerminalText.value(error))") }
            } else if table.consecutiveFailures > 0, let error = table.lastError {
                lines.append("retry   \(name): \(table.consecutiveFailures) failed requests in a row; last: \(TerminalText.value(error))")
            }
            if !table.deadLetters.isEmpty {
                let reasons = table.deadLetters.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                    .map { "\(TerminalText.value($0.key)) \(NumberText.grouped($0.value))" }.joined(separator: ", ")
                let newest = table.newestDeadLetterAt.map { " (newest \(TerminalText.value(TimeText.short(iso: $0))))" } ?? ""
                lines.append("dead    \(name): \(reasons)\(newest)")
            }
            if table.droppedRows > 0 {
                lines.append("dropped \(name): \(NumberText.grouped(Int(table.droppedRows))) rows evicted by the dropOldest cap")
            }
            if let note = table.schemaNote {
                lines.append("schema  \(name): \(TerminalText.value(note))")
            }
        }
        for stream in writeStreams {
            lines.append("stream  \(TerminalText.value(stream.table)): \(TerminalText.value(stream.stream))")
            lines.append("        next offset \(NumberText.grouped(Int(stream.nextOffset))), \(NumberText.grouped(stream.heldRows)) rows awaiting an answer, opened \(TimeText.relative(millis: stream.createdAt, now: now)), last used \(TimeText.relative(millis: stream.lastUsedAt, now: now))")
        }
        return lines
    }

    // MARK: JSON

    /// The documented, stable shape (README, "The operator's tool: spoolctl"). Add keys; never rename or remove.
    func json() -> JSONValue {
        let tables = status.tables.map { table -> JSONValue in
            let reasons = table.deadLetters.sorted { $0.key < $1.key }.map { (key: $0.key, value: JSONValue.integer($0.value)) }
            return .object([
                "table": .string(table.table),
                "pendingRows": .integer(table.pendingRows),
                "pendingBytes": .integer(table.pendingBytes),
                "oldestPendingAt": .time(millis: table.oldestCreatedAt),
                "oldestPendingAgeSeconds": .integer(table.oldestCreatedAt.map { max(0, now - $0) / 1000 }),
                "nextAttemptAt": .time(millis: table.pendingRows > 0 ? table.nextAttemptAt : nil),
                "paused": .bool(table.isPaused),
                "pausedSince": .time(millis: table.pausedSince),
                "pauseReason": .text(table.pauseReason),
                "consecutiveFailures": .integer(table.consecutiveFailures),
                "lastError": .text(table.lastError),
                "lastErrorAt": .time(millis: table.lastErrorAt),
                "lastSuccessAt": .time(millis: table.lastSuccessAt),
                "deliveredRows": .integer(table.deliveredRows),
                "droppedRows": .integer(table.droppedRows),
                "deadLetters": .object(JSONObject(reasons)),
                "newestDeadLetterAt": .text(table.newestDeadLetterAt),
                "schemaNote": .text(table.schemaNote),
            ])
        }
        let lease: JSONValue = status.lease.map { lease in
            .object([
                "holder": .string(lease.holder),
                "acquiredAt": .time(millis: lease.acquiredAt),
                "renewedAt": .time(millis: lease.renewedAt),
                "expiresAt": .time(millis: lease.expiresAt),
                "live": .bool(lease.expiresAt > now),
            ])
        } ?? .null
        let attention = findings.map { finding -> JSONValue in
            .object(["kind": .string(finding.kind), "table": .string(finding.table), "message": .string(finding.message)])
        }
        return .object([
            "generatedAt": .time(millis: now),
            "healthy": .bool(findings.isEmpty),
            "attention": .array(attention),
            "database": .object([
                "path": .string(path),
                "bytes": .integer(status.databaseBytes),
                "walBytes": .integer(status.walBytes),
                "schemaVersion": .integer(status.schemaVersion),
            ]),
            "totals": .object([
                "pendingRows": .integer(status.pendingRows),
                "pendingBytes": .integer(status.pendingBytes),
                "deadLetters": .integer(status.deadLetterRows),
                "oldestPendingAt": .time(millis: status.tables.compactMap(\.oldestCreatedAt).min()),
            ]),
            "durability": .object([
                "default": .string(durability.rawValue),
                "fullTables": .array(fullDurabilityTables.map { .string($0) }),
            ]),
            "lease": lease,
            "delivery": .object([
                "api": .text(api?.rawValue),
                "streams": .array(writeStreams.map { stream in
                    .object([
                        "table": .string(stream.table),
                        "stream": .string(stream.stream),
                        "nextOffset": .integer(Int(stream.nextOffset)),
                        "awaitingRows": .integer(stream.heldRows),
                        "createdAt": .time(millis: stream.createdAt),
                        "lastUsedAt": .time(millis: stream.lastUsedAt),
                    ])
                }),
            ]),
            "lastSuccessAt": .time(millis: status.lastSuccessAt),
            "tables": .array(tables),
        ])
    }
}
