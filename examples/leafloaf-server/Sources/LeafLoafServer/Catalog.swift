import Foundation

/// A small grocery catalog, enough to search, personalize and order from.
public struct Product: Sendable, Equatable {
    public var sku: String
    public var name: String
    public var category: String
    public var price: Decimal
}

public enum Catalog {
    public static let products: [Product] = [
        ("OAT-001", "Organic oat milk", "dairy_alternatives", "3.49"),
        ("ALM-002", "Unsweetened almond milk", "dairy_alternatives", "2.99"),
        ("MLK-003", "Whole milk", "dairy", "1.89"),
        ("YOG-004", "Greek yogurt", "dairy", "4.25"),
        ("BAN-005", "Bananas, bunch", "produce", "1.29"),
        ("APL-006", "Honeycrisp apples", "produce", "4.99"),
        ("SPN-007", "Baby spinach", "produce", "3.19"),
        ("BRD-008", "Sourdough bread", "bakery", "5.49"),
        ("BAG-009", "Everything bagels", "bakery", "3.99"),
        ("EGG-010", "Free-range eggs, dozen", "eggs", "4.79"),
        ("TOF-011", "Firm tofu", "plant_protein", "2.49"),
        ("PAS-012", "Whole wheat pasta", "pantry", "1.99"),
        ("TOM-013", "Crushed tomatoes", "pantry", "1.59"),
        ("COF-014", "Dark roast coffee beans", "beverages", "11.99"),
        ("CHO-015", "Dark chocolate bar", "snacks", "2.79"),
    ].map { Product(sku: $0.0, name: $0.1, category: $0.2, price: Decimal(string: $0.3)!) }

    public static func product(sku: String) -> Product? {
        products.first { $0.sku == sku }
    }

    /// Products whose name or category contains a word of the query; everything when the query is empty.
    public static func search(_ query: String) -> [Product] {
        let words = query.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init).filter { $0.count > 1 }
        guard !words.isEmpty else { return products }
        return products.filter { product in
            let haystack = (product.name + " " + product.category.replacingOccurrences(of: "_", with: " ")).lowercased()
            return words.contains { haystack.contains($0) }
        }
    }
}
