import BigQueryREST
import Logging
import Spool

/// `spoolctl doctor`'s view checks: every view of `schemas.views` exists in BigQuery and matches its files.
enum ViewChecks {
    static func run(
        configuration: SpoolConfigurationFile, destination: Destination, credentials: any AccessTokenProvider
    ) -> [PreflightCheck] {
        let client = ProvisioningConnection.client(configuration, destination: destination, credentials: credentials)
        let plan = ProvisioningPlan(configuration: configuration, destination: destination)
        var definitions: [String: [String: String]] = [:]
        return plan.views.map { view in
            let subject = view.definition.name
            if let problem = view.problem {
                return PreflightCheck(.view, subject: subject, passed: false, "\(view.name): \(problem)")
            }
            let remote: RemoteView
            do throws(BigQueryError) {
                remote = try RemoteView.fetch(client, dataset: view.dataset, name: view.definition.name, definitions: &definitions)
            } catch where error.isNotFound {
                return PreflightCheck(.view, subject: subject, passed: false, "\(view.name) not found: create it with `spoolctl tables create`")
            } catch {
                return PreflightCheck(.view, subject: subject, passed: false, "\(view.name) cannot be read: \(error.failure)")
            }
            let (differences, notes) = ViewDifference.differences(view.definition, query: view.query, remote: remote)
            guard differences.isEmpty else {
                let count = differences.count == 1 ? "1 difference" : "\(differences.count) differences"
                return PreflightCheck(
                    .view, subject: subject, passed: false, "\(view.name) does not match its files (\(count))",
                    details: differences.flatMap { $0.explanation(view.definition) } + notes
                )
            }
            return PreflightCheck(.view, subject: subject, passed: true, "\(view.name) exists and matches \(view.definition.name).sql", details: notes)
        }
    }
}

extension Array where Element == PreflightCheck {
    /// True when no check of these kinds failed.
    func allPassed(of kinds: Set<PreflightCheck.Kind>) -> Bool {
        !contains { kinds.contains($0.kind) && !$0.passed }
    }
}
