/// Valid rows for each of the seed's five tables, told apart by `event_id` (`categories` as JSON text, as the seed's
/// `user_search_events` holds them).
public enum SeedEvents {
    public static func row(table: String, eventID: String, index: Int) -> String {
        let common = #""event_id":"\#(eventID)","user_id":"user-\#(index % 97)","session_id":"s-\#(index % 13)","timestamp":"2026-11-26T10:00:00.\#(String(format: "%06d", index % 1_000_000))Z""#
        switch table {
        case "user_search_events":
            return #"{\#(common),"query":"organic bananas","intent":"product_search","alpha_value":0.5,"results_count":\#(index % 40),"categories":"[\"produce\"]","response_time_ms":\#(index % 900)}"#
        case "product_interaction_events":
            return #"{\#(common),"product_sku":"sku-\#(index % 500)"}"#
        case "cart_modification_events":
            return #"{\#(common),"action":"add","product_sku":"sku-\#(index % 500)","quantity":2}"#
        case "order_transaction_events":
            return #"{\#(common),"order_id":"o-\#(index)","items":[{"sku":"sku-1","quantity":1}]}"#
        default:
            return #"{\#(common)}"#
        }
    }
}
