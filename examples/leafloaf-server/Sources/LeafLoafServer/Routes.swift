import Foundation
import Hummingbird
import LeafLoafEvents

/// The seed's flow on every endpoint: update in-memory personalization, append one event, answer. The answer never
/// waits for BigQuery.
public struct LeafLoafRoutes: Sendable {
    public let personalization: Personalization
    public let carts: Carts
    public let analytics: AnalyticsService

    public init(personalization: Personalization = Personalization(), carts: Carts = Carts(), analytics: AnalyticsService) {
        self.personalization = personalization
        self.carts = carts
        self.analytics = analytics
    }

    public func add(to router: Router<BasicRequestContext>) {
        router.get("/health") { _, _ in "ok" }
        router.post("/search") { request, context in
            try await search(try await request.decode(as: SearchRequest.self, context: context))
        }
        router.post("/interactions") { request, context in
            try await interaction(try await request.decode(as: InteractionRequest.self, context: context))
        }
        router.post("/cart") { request, context in
            try await cart(try await request.decode(as: CartRequest.self, context: context))
        }
        router.post("/orders") { request, context in
            try await order(try await request.decode(as: OrderRequest.self, context: context))
        }
        router.get("/users/:user/preferences") { _, context in
            let user = try context.parameters.require("user")
            return PreferencesResponse(userId: user, preferences: personalization.preferences(user: user))
        }
    }

    func search(_ request: SearchRequest) async throws -> SearchResponse {
        let started = ContinuousClock.now
        let user = request.userId ?? "anonymous"
        let (results, personalized) = personalization.rank(Catalog.search(request.query), for: user)
        let categories = Array(Set(results.map(\.category))).sorted()
        for category in categories.prefix(3) {
            personalization.record(user: user, category: category, weight: Personalization.weight(of: "search"))
        }
        let intent = Self.intent(of: request.query)
        let elapsed = ContinuousClock.now - started
        analytics.trackSearchEvent(SearchEvent(
            userId: user, sessionId: request.sessionId, query: request.query, intent: intent,
            alphaValue: Self.alpha(for: request.query), resultsCount: results.count, categories: categories,
            responseTimeMs: Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        ))
        return SearchResponse(results: results.map(ProductView.init), intent: intent, personalized: personalized)
    }

    func interaction(_ request: InteractionRequest) async throws -> PreferencesResponse {
        let product = try Self.product(request.sku)
        let user = request.userId ?? "anonymous"
        let weight = Personalization.weight(of: request.signalType)
        personalization.record(user: user, category: product.category, weight: weight)
        analytics.trackInteractionEvent(InteractionEvent(
            userId: user, sessionId: request.sessionId, signalType: request.signalType, productSku: product.sku,
            productName: product.name, productCategory: product.category, position: request.position,
            signalWeight: weight, searchQuery: request.searchQuery
        ))
        return PreferencesResponse(userId: user, preferences: personalization.preferences(user: user))
    }

    func cart(_ request: CartRequest) async throws -> CartResponse {
        guard ["add", "remove", "update"].contains(request.action) else {
            throw HTTPError(.badRequest, message: "action must be add, remove or update")
        }
        let product = try Self.product(request.sku)
        let user = request.userId ?? "anonymous"
        let (quantity, lines) = carts.modify(user: user, action: request.action, product: product, quantity: request.quantity)
        if request.action == "add" {
            personalization.record(user: user, category: product.category, weight: Personalization.weight(of: "add_to_cart"))
        }
        let total = Carts.total(lines)
        analytics.trackCartEvent(CartEvent(
            userId: user, sessionId: request.sessionId, action: request.action, productSku: product.sku,
            productName: product.name, quantity: quantity, price: product.price, cartTotal: total
        ))
        return CartResponse(items: lines.map { .init(sku: $0.product.sku, quantity: $0.quantity) }, total: total)
    }

    func order(_ request: OrderRequest) async throws -> OrderResponse {
        let user = request.userId ?? "anonymous"
        let lines = carts.checkOut(user: user)
        guard !lines.isEmpty else {
            throw HTTPError(.badRequest, message: "the cart is empty")
        }
        for line in lines {
            personalization.record(user: user, category: line.product.category, weight: Personalization.weight(of: "purchase"))
        }
        let subtotal = Carts.total(lines)
        // WELCOME10 takes 10% off: the seed's "applied discounts".
        let discount = request.discountCode == "WELCOME10" ? (subtotal / 10).rounded(scale: 2) : 0
        let total = subtotal - discount
        let orderId = "ord-" + UUID().uuidString.lowercased()
        let now = Date()
        analytics.trackOrderEvent(OrderEvent(
            userId: user, sessionId: request.sessionId, orderId: orderId, status: "completed", total: total,
            currency: "USD",
            items: lines.map { .init(sku: $0.product.sku, name: $0.product.name, quantity: $0.quantity, price: $0.product.price) },
            discounts: discount > 0 ? [.init(code: request.discountCode, amount: discount)] : [],
            delivery: request.deliveryMethod.map {
                .init(method: $0, windowStart: now.addingTimeInterval(3600), windowEnd: now.addingTimeInterval(7200), instructions: nil)
            },
            timestamp: now
        ))
        return OrderResponse(orderId: orderId, status: "completed", total: total, items: lines.reduce(0) { $0 + $1.quantity })
    }

    private static func product(_ sku: String) throws -> Product {
        guard let product = Catalog.product(sku: sku) else {
            throw HTTPError(.notFound, message: "no product with that sku")
        }
        return product
    }

    /// The seed's intent: recipes and meal ideas versus plain product lookups.
    static func intent(of query: String) -> String {
        let lowered = query.lowercased()
        if ["recipe", "dinner", "breakfast", "lunch", "meal"].contains(where: lowered.contains) { return "meal_planning" }
        if ["cheap", "deal", "sale"].contains(where: lowered.contains) { return "price_sensitive" }
        return "product_search"
    }

    /// The hybrid search's keyword/semantic balance: keyword-heavy for short queries, semantic for longer ones.
    static func alpha(for query: String) -> Double {
        query.split(separator: " ").count <= 2 ? 0.3 : 0.7
    }
}

extension Decimal {
    func rounded(scale: Int) -> Decimal {
        var value = self, result = Decimal()
        NSDecimalRound(&result, &value, scale, .plain)
        return result
    }
}
