import Foundation

/// A known set of events for the seed's five tables, over three days, and what each of the seed's views
/// (examples/leafloaf/views/) must answer for them — worked out here in Swift, not in SQL.
struct SeedViewEvents {
    struct Search {
        var id: String, user: String, session: String, query: String, intent: String?, resultsCount: Int, responseTimeMs: Int, at: Date
    }
    struct Interaction {
        var id: String, user: String?, session: String, signal: String, sku: String, category: String, searchQuery: String?, weight: Double, at: Date
    }
    struct Cart {
        var id: String, user: String, session: String, action: String, sku: String, quantity: Int, price: Decimal, at: Date
    }
    struct OrderItem {
        var sku: String, quantity: Int, price: Decimal
    }
    struct Order {
        var id: String, user: String, session: String, orderID: String, total: Decimal, currency: String, items: [OrderItem], discounts: [Decimal], at: Date
    }
    struct Impression {
        var id: String, user: String, session: String, experiment: String?, model: String, version: String, skus: [String], at: Date
    }

    var searches: [Search] = []
    var interactions: [Interaction] = []
    var carts: [Cart] = []
    var orders: [Order] = []
    var impressions: [Impression] = []

    static let products: [(sku: String, category: String, price: Decimal)] = [
        ("OAT-001", "dairy_alternatives", Decimal(string: "3.49")!), ("MLK-003", "dairy", Decimal(string: "1.89")!),
        ("BAN-005", "produce", Decimal(string: "1.29")!), ("BRD-008", "bakery", Decimal(string: "5.49")!),
        ("COF-014", "beverages", Decimal(string: "11.99")!),
    ]
    static let days = ["2026-11-24", "2026-11-25", "2026-11-26"]

    /// `day` (0…2) at 09:00 UTC plus `minutes`.
    static func time(day: Int, minutes: Int) -> Date {
        ISO8601DateFormatter().date(from: "\(days[day])T09:00:00Z")!.addingTimeInterval(Double(minutes) * 60)
    }

    init() {
        let intents: [String?] = ["product_search", "meal_planning", "price_sensitive", nil, "gift_ideas", "product_search", "meal_planning"]
        // 23 searches: days get 8, 8 and 7 of them, so one median is a middle value and two are interpolated.
        for index in 0..<23 {
            searches.append(Search(
                id: "search-\(index)", user: "u\(index % 4 + 1)", session: "s\(index % 6 + 1)", query: "q\(index)",
                intent: intents[index % intents.count], resultsCount: index % 4 == 0 ? 0 : index % 7 + 1,
                responseTimeMs: (index * 37) % 50 + 1, at: Self.time(day: index % 3, minutes: index)
            ))
        }
        let signals = ["view", "click", "add_to_cart", "purchase", "click", "click"]
        let weights = ["view": 0.5, "click": 1.0, "add_to_cart": 3.0, "purchase": 5.0]
        for index in 0..<31 {
            let product = Self.products[index % Self.products.count]
            let signal = signals[index % signals.count]
            interactions.append(Interaction(
                id: "interaction-\(index)", user: index == 30 ? nil : "u\(index % 4 + 1)", session: "s\(index % 6 + 1)",
                signal: signal, sku: product.sku, category: product.category,
                searchQuery: index % 3 == 0 ? nil : "q\(index)", weight: weights[signal]!, at: Self.time(day: index % 3, minutes: 60 + index)
            ))
        }
        for index in 0..<16 {
            let product = Self.products[index % Self.products.count]
            carts.append(Cart(
                id: "cart-\(index)", user: "u\(index % 4 + 1)", session: "s\(index % 6 + 1)",
                action: ["add", "add", "remove", "update"][index % 4], sku: product.sku, quantity: index % 3 + 1,
                price: product.price, at: Self.time(day: index % 3, minutes: 90 + index)
            ))
        }
        for index in 0..<8 {
            let first = Self.products[index % Self.products.count]
            let second = Self.products[(index + 2) % Self.products.count]
            var items = [OrderItem(sku: first.sku, quantity: index % 2 + 1, price: first.price)]
            if index % 3 != 0 {
                items.append(OrderItem(sku: second.sku, quantity: 1, price: second.price))
            }
            let subtotal = items.reduce(Decimal(0)) { $0 + $1.price * Decimal($1.quantity) }
            let discounts: [Decimal] = index % 2 == 0 ? [Decimal(string: "0.50")!] + (index == 4 ? [Decimal(string: "1.25")!] : []) : []
            orders.append(Order(
                id: "order-event-\(index)", user: "u\(index % 4 + 1)", session: "s\(index % 6 + 1)", orderID: "ord-\(index)",
                total: subtotal - discounts.reduce(0, +), currency: index == 7 ? "EUR" : "USD", items: items, discounts: discounts,
                at: Self.time(day: index % 3, minutes: 120 + index)
            ))
        }
        let experiments: [String?] = ["home_ranking_a", "home_ranking_b", nil]
        for index in 0..<9 {
            impressions.append(Impression(
                id: "impression-\(index)", user: "u\(index % 4 + 1)", session: "s\(index % 6 + 1)",
                experiment: experiments[index % 3], model: "two_tower", version: index % 2 == 0 ? "v1" : "v2",
                skus: (0..<3).map { Self.products[(index + $0) % Self.products.count].sku },
                // Some lists are shown after the session's interactions, which then do not count for them.
                at: Self.time(day: index % 3, minutes: index == 4 ? 200 : 30 + index)
            ))
        }
    }

    // MARK: The rows, as the application appends them

    /// (table, JSON row) in append order. Search rows leave out `categories` and `event_properties`: the seed's
    /// `bq mk` definition of that table has no RECORD, and its categories column is JSON text.
    func rows() throws -> [(table: String, json: String)] {
        func text(_ object: [String: Any]) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }
        func stamp(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
        var rows: [(String, String)] = []
        for search in searches {
            var object: [String: Any] = [
                "event_id": search.id, "user_id": search.user, "session_id": search.session, "query": search.query,
                "alpha_value": 0.3, "results_count": search.resultsCount, "response_time_ms": search.responseTimeMs,
                "timestamp": stamp(search.at),
            ]
            object["intent"] = search.intent
            rows.append(("user_search_events", try text(object)))
        }
        for interaction in interactions {
            var object: [String: Any] = [
                "event_id": interaction.id, "session_id": interaction.session, "signal_type": interaction.signal,
                "product_sku": interaction.sku, "product_category": interaction.category, "signal_weight": interaction.weight,
                "timestamp": stamp(interaction.at),
            ]
            object["user_id"] = interaction.user
            object["search_query"] = interaction.searchQuery
            rows.append(("product_interaction_events", try text(object)))
        }
        for cart in carts {
            rows.append(("cart_modification_events", try text([
                "event_id": cart.id, "user_id": cart.user, "session_id": cart.session, "action": cart.action,
                "product_sku": cart.sku, "quantity": cart.quantity, "price": "\(cart.price)", "timestamp": stamp(cart.at),
            ])))
        }
        for order in orders {
            rows.append(("order_transaction_events", try text([
                "event_id": order.id, "user_id": order.user, "session_id": order.session, "order_id": order.orderID,
                "status": "completed", "total": "\(order.total)", "currency": order.currency,
                "items": order.items.map { ["sku": $0.sku, "quantity": $0.quantity, "price": "\($0.price)"] as [String: Any] },
                "discounts": order.discounts.map { ["code": "WELCOME10", "amount": "\($0)"] },
                "timestamp": stamp(order.at),
            ])))
        }
        for impression in impressions {
            var object: [String: Any] = [
                "event_id": impression.id, "user_id": impression.user, "session_id": impression.session,
                "recommendation_id": "rec-\(impression.id)", "surface": "home", "recommended_skus": impression.skus,
                "model_name": impression.model, "model_version": impression.version, "scores": impression.skus.map { _ in 0.5 },
                "timestamp": stamp(impression.at),
            ]
            if let experiment = impression.experiment {
                object["event_properties"] = ["source": "web", "experiment": experiment]
            }
            rows.append(("recommendation_impression_events", try text(object)))
        }
        return rows
    }

    // MARK: What the views must answer

    /// daily_search_summary, by day: (searches, users, product_search, meal_planning, price_sensitive, other, zero-result, median ms).
    func dailySearchSummary() -> [String: [Double]] {
        var answer: [String: [Double]] = [:]
        for (day, text) in Self.days.enumerated() {
            let group = searches.enumerated().filter { $0.offset % 3 == day }.map(\.element)
            guard !group.isEmpty else { continue }
            let known = ["product_search", "meal_planning", "price_sensitive"]
            let times = group.map { Double($0.responseTimeMs) }.sorted()
            let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
            answer[text] = [
                Double(group.count), Double(Set(group.map(\.user)).count),
                Double(group.filter { $0.intent == "product_search" }.count), Double(group.filter { $0.intent == "meal_planning" }.count),
                Double(group.filter { $0.intent == "price_sensitive" }.count),
                Double(group.filter { $0.intent.map { !known.contains($0) } ?? true }.count),
                Double(group.filter { $0.resultsCount == 0 }.count), median,
            ]
        }
        return answer
    }

    /// product_funnel, by SKU: (category, search interactions, clicks, cart adds, orders, units).
    func productFunnel() -> [String: (category: String?, counts: [Int])] {
        var answer: [String: (category: String?, counts: [Int])] = [:]
        func add(_ sku: String, category: String? = nil, _ index: Int, _ amount: Int = 1) {
            var entry = answer[sku] ?? (nil, [0, 0, 0, 0, 0])
            if let category { entry.category = category }
            entry.counts[index] += amount
            answer[sku] = entry
        }
        for interaction in interactions {
            add(interaction.sku, category: interaction.category, 0, interaction.searchQuery == nil ? 0 : 1)
            add(interaction.sku, 1, interaction.signal == "click" ? 1 : 0)
        }
        for cart in carts {
            add(cart.sku, 2, cart.action == "add" ? 1 : 0)
        }
        for order in orders {
            for item in order.items {
                add(item.sku, 3)
                add(item.sku, 4, item.quantity)
            }
        }
        return answer
    }

    /// user_category_affinity, by "user/category": (interactions, views, clicks, add-to-carts, purchases, affinity).
    func userCategoryAffinity() -> [String: [Double]] {
        var answer: [String: [Double]] = [:]
        for interaction in interactions {
            guard let user = interaction.user else { continue }
            var entry = answer["\(user)/\(interaction.category)"] ?? [0, 0, 0, 0, 0, 0]
            entry[0] += 1
            if let index = ["view": 1, "click": 2, "add_to_cart": 3, "purchase": 4][interaction.signal] { entry[index] += 1 }
            entry[5] += interaction.weight
            answer["\(user)/\(interaction.category)"] = entry
        }
        return answer
    }

    /// recommendation_ab_readout, by "experiment/model/version": (impressions, SKUs shown, users, clicks, cart adds).
    func recommendationReadout() -> [String: [Int]] {
        var answer: [String: [Int]] = [:]
        func arm(_ impression: Impression) -> String {
            "\(impression.experiment ?? "(none)")/\(impression.model)/\(impression.version)"
        }
        var users: [String: Set<String>] = [:]
        var clicked: [String: Set<String>] = [:]
        var added: [String: Set<String>] = [:]
        for impression in impressions {
            let key = arm(impression)
            var entry = answer[key] ?? [0, 0, 0, 0, 0]
            entry[0] += 1
            entry[1] += impression.skus.count
            answer[key] = entry
            users[key, default: []].insert(impression.user)
            for interaction in interactions where interaction.signal == "click" && interaction.session == impression.session
                && impression.skus.contains(interaction.sku) && interaction.at >= impression.at {
                clicked[key, default: []].insert(interaction.id)
            }
            for cart in carts where cart.action == "add" && cart.session == impression.session
                && impression.skus.contains(cart.sku) && cart.at >= impression.at {
                added[key, default: []].insert(cart.id)
            }
        }
        for key in answer.keys {
            answer[key]![2] = users[key]?.count ?? 0
            answer[key]![3] = clicked[key]?.count ?? 0
            answer[key]![4] = added[key]?.count ?? 0
        }
        return answer
    }

    /// daily_orders, by "day/currency": (orders, revenue, discounted orders, discount amount).
    func dailyOrders() -> [String: (orders: Int, revenue: Decimal, discounted: Int, discountAmount: Decimal)] {
        var answer: [String: (orders: Int, revenue: Decimal, discounted: Int, discountAmount: Decimal)] = [:]
        for order in orders {
            let day = String(ISO8601DateFormatter().string(from: order.at).prefix(10))
            var entry = answer["\(day)/\(order.currency)"] ?? (0, 0, 0, 0)
            entry.orders += 1
            entry.revenue += order.total
            entry.discounted += order.discounts.isEmpty ? 0 : 1
            entry.discountAmount += order.discounts.reduce(0, +)
            answer["\(day)/\(order.currency)"] = entry
        }
        return answer
    }
}
