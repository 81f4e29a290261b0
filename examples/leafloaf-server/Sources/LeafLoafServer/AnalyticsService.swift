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
        record(SearchEvent.table) { try $0.append(event, to: SearchEvent.table) }
    }

    public func trackInteractionEvent(_ event: InteractionEvent) {
        record(InteractionEvent.table) { try $0.append(event, to: InteractionEvent.table) }
    }

    public func trackCartEvent(_ event: CartEvent) {
        record(CartEvent.table) { try $0.append(event, to: CartEvent.table) }
    }

    public func trackOrderEvent(_ event: OrderEvent) {
        record(OrderEvent.table) { try $0.append(event, to: OrderEvent.table) }
    }

    public func trackRecommendationImpression(_ event: RecommendationImpressionEvent) {
        record(RecommendationImpressionEvent.table) { try $0.append(event, to: RecommendationImpressionEvent.table) }
    }

    private func record(_ table: String, _ append: (Spool) throws(SpoolError) -> String) {
        guard let spool else { return }
        do throws(SpoolError) {
            _ = try append(spool)
        } catch {
            // SpoolError messages never contain payload values.
            logger.warning("analytics event not recorded", metadata: ["leafloaf.table": "\(table)", "leafloaf.error": "\(error.message)"])
        }
    }
}
