import LeafLoafEvents
import Logging
import Spool

/// The seed's `analytics_service.py`, rebuilt on Spool: each `track_*` is one append to the local outbox, which
/// commits in microseconds and never touches the network. Delivery to BigQuery is the uploader's business.
///
/// An append that fails (the spool is full, the disk is) is logged and counted, never turned into a failed request:
/// analytics must not break the API.
public struct AnalyticsService: Sendable {
    /// nil when events are turned off (the benchmark's baseline).
    public let spool: Spool?
    private let logger: Logger

    public init(spool: Spool?, logger: Logger) {
        self.spool = spool
        self.logger = logger
    }

    public func trackSearchEvent(_ event: SearchEvent) {
        record(event, to: SearchEvent.table)
    }

    public func trackInteractionEvent(_ event: InteractionEvent) {
        record(event, to: InteractionEvent.table)
    }

    public func trackCartEvent(_ event: CartEvent) {
        record(event, to: CartEvent.table)
    }

    public func trackOrderEvent(_ event: OrderEvent) {
        record(event, to: OrderEvent.table)
    }

    public func trackRecommendationImpression(_ event: RecommendationImpressionEvent) {
        record(event, to: RecommendationImpressionEvent.table)
    }

    private func record<Event: Encodable>(_ event: Event, to table: String) {
        guard let spool else { return }
        do throws(SpoolError) {
            try spool.append(event, to: table)
        } catch {
            // SpoolError messages never contain payload values.
            logger.warning("analytics event not recorded", metadata: ["leafloaf.table": "\(table)", "leafloaf.error": "\(error.message)"])
        }
    }
}
