import Foundation
import Synchronization

/// Shopping carts, in memory per user.
public final class Carts: Sendable {
    public struct Line: Sendable, Equatable {
        public var product: Product
        public var quantity: Int
    }

    private let carts = Mutex<[String: [Line]]>([:])

    public init() {}

    /// Applies `add` (quantity more), `remove` (quantity fewer, or all) or `update` (set to quantity); returns the
    /// line's new quantity and the cart.
    public func modify(user: String, action: String, product: Product, quantity: Int) -> (quantity: Int, lines: [Line]) {
        carts.withLock { carts in
            var lines = carts[user] ?? []
            let index = lines.firstIndex { $0.product.sku == product.sku }
            let current = index.map { lines[$0].quantity } ?? 0
            let updated: Int
            switch action {
            case "add": updated = current + max(quantity, 1)
            case "remove": updated = quantity > 0 ? max(current - quantity, 0) : 0
            default: updated = max(quantity, 0)
            }
            if let index {
                if updated == 0 { lines.remove(at: index) } else { lines[index].quantity = updated }
            } else if updated > 0 {
                lines.append(Line(product: product, quantity: updated))
            }
            carts[user] = lines
            return (updated, lines)
        }
    }

    /// Empties the user's cart and returns what was in it.
    public func checkOut(user: String) -> [Line] {
        carts.withLock { $0.removeValue(forKey: user) ?? [] }
    }

    public static func total(_ lines: [Line]) -> Decimal {
        lines.reduce(Decimal(0)) { $0 + $1.product.price * Decimal($1.quantity) }
    }
}
