import BigQueryREST
import Foundation
import Spool

/// The views of `schemas.views`, after the tables: created when missing, compared when present.
extension TableProvisioner {
    mutating func provisionView(_ plan: ProvisioningPlan.ViewPlan) {
        let definition = plan.definition
        if let problem = plan.problem {
            report(false, "\(plan.name) not created: \(problem)")
            return
        }
        guard !unusableDatasets.contains(plan.dataset) else {
            report(false, "\(plan.name) not created: its dataset is not available")
            return
        }
        let remote: RemoteView
        do throws(BigQueryError) {
            remote = try RemoteView.fetch(client, dataset: plan.dataset, name: definition.name, definitions: &viewDefinitions)
        } catch where error.isNotFound {
            createView(plan)
            return
        } catch {
            report(false, "\(plan.name) cannot be read: \(error.failure)")
            return
        }
        let (differences, notes) = ViewDifference.differences(definition, query: plan.query, remote: remote)
        if differences.isEmpty {
            report(true, "\(plan.name) exists with the same query and settings", details: notes)
            return
        }
        let explained = differences.flatMap { $0.explanation(definition) } + notes
        if case .kind = differences.first {
            report(false, "\(plan.name) not created: the name is taken; left untouched", details: explained)
            return
        }
        switch definition.kind {
        case .view:
            guard applyViews else {
                report(false, "\(plan.name) differs from its files; left untouched", details: explained + [
                    "run again with --apply-views to replace it",
                ])
                return
            }
            guard checkQuery(plan, action: "not replaced") else { return }
            do {
                try client.updateView(dataset: plan.dataset, table: definition.name, query: plan.query, description: definition.description)
                report(true, "\(plan.name) replaced", details: explained)
            } catch {
                report(false, "\(plan.name) could not be replaced: \(error.failure)", details: explained)
            }
        case .materializedView:
            if differences.contains(where: { if case .query = $0 { true } else { false } }) {
                report(false, "\(plan.name) has another query than \(definition.name).sql; left untouched", details: explained + [
                    "BigQuery cannot change a materialized view's query, and spoolctl never drops one: drop it yourself (bq rm -f -t \(project):\(plan.dataset).\(definition.name)) and run tables create again to rebuild it",
                ])
                return
            }
            let patchable = differences.filter {
                switch $0 {
                case .description, .enableRefresh, .refreshInterval: true
                default: false
                }
            }
            guard applyViews, !patchable.isEmpty else {
                let advice = patchable.isEmpty ? [] : ["run again with --apply-views to update its description and refresh settings"]
                report(false, "\(plan.name) differs from its files; left untouched", details: explained + advice)
                return
            }
            do {
                try client.patchMaterializedView(
                    dataset: plan.dataset, table: definition.name, description: definition.description ?? "",
                    enableRefresh: definition.enableRefresh, refreshIntervalMs: definition.refreshIntervalMs
                )
                let unchanged = differences.count > patchable.count
                report(!unchanged, "\(plan.name) settings updated", details: explained)
            } catch {
                report(false, "\(plan.name) could not be updated: \(error.failure)", details: explained)
            }
        }
    }

    private mutating func createView(_ plan: ProvisioningPlan.ViewPlan) {
        let definition = plan.definition
        guard checkQuery(plan, action: "not created") else { return }
        do throws(BigQueryError) {
            switch definition.kind {
            case .view:
                try client.insertView(dataset: plan.dataset, table: definition.name, query: plan.query, description: definition.description)
                report(true, "\(plan.name) created")
            case .materializedView:
                try client.createMaterializedView(dataset: plan.dataset, table: definition.name, query: plan.query, partitionField: definition.partitionField)
                guard definition.description != nil || definition.enableRefresh != nil || definition.refreshIntervalMs != nil else {
                    report(true, "\(plan.name) created (\(Self.refreshSummary(definition)))")
                    return
                }
                do throws(BigQueryError) {
                    try client.patchMaterializedView(
                        dataset: plan.dataset, table: definition.name, description: definition.description,
                        enableRefresh: definition.enableRefresh, refreshIntervalMs: definition.refreshIntervalMs
                    )
                    report(true, "\(plan.name) created (\(Self.refreshSummary(definition)))")
                } catch {
                    report(false, "\(plan.name) created, but its description and refresh settings could not be set: \(error.failure)")
                }
            }
        } catch {
            report(false, "\(plan.name) could not be created: \(error.failure)")
        }
    }

    /// A dry run of the view's query: BigQuery names an unknown table or column before anything is created.
    private mutating func checkQuery(_ plan: ProvisioningPlan.ViewPlan, action: String) -> Bool {
        do {
            _ = try client.query(plan.query, dryRun: true)
            return true
        } catch {
            // BigQuery's message is one line; the emulator's (DuckDB's) spans several.
            var lines = error.message.split(separator: "\n").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            if let reason = error.reason, !lines.isEmpty {
                lines[0] = "\(reason): \(lines[0])"
            }
            report(false, "\(plan.name) \(action): BigQuery refused the query of \(plan.definition.name).sql", details: lines)
            return false
        }
    }

    private static func refreshSummary(_ definition: ViewDefinition) -> String {
        guard definition.enableRefresh ?? true else { return "refreshed only on request" }
        let interval = definition.refreshIntervalMs.map { milliseconds in
            milliseconds % 60_000 == 0 ? "\(milliseconds / 60_000) min" : "\(milliseconds) ms"
        } ?? "BigQuery's default 30 min"
        var text = "refreshed automatically, at most every \(interval)"
        if let field = definition.partitionField {
            text += "; partitioned by \(field)"
        }
        return text
    }
}
