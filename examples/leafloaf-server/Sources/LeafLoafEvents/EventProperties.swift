/// The free-form context every LeafLoaf event may carry: the `event_properties` RECORD of each table.
///
/// A record, not a JSON string: the seed logged `This field: event_properties is not a record.` because it sent
/// `json.dumps(...)` here.
public struct EventProperties: Encodable, Sendable, Equatable {
    /// Where the event came from: web, ios, android, api.
    public var source: String?
    /// The A/B experiment arm, if any.
    public var experiment: String?
    /// Result page or screen number.
    public var page: Int?

    public init(source: String? = nil, experiment: String? = nil, page: Int? = nil) {
        self.source = source
        self.experiment = experiment
        self.page = page
    }
}
