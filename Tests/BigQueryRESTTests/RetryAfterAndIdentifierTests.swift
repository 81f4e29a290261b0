import BigQueryREST
import Foundation
import Testing

@Suite struct RetryAfterTests {
    @Test func secondsAreRead() {
        #expect(RetryAfter(headerValue: "120") == .seconds(120))
        #expect(RetryAfter(headerValue: " 0 ") == .seconds(0))
    }

    @Test func allThreeHTTPDateFormsAreRead() {
        let expected = RetryAfter.date(Date(timeIntervalSince1970: 784_111_777))
        #expect(RetryAfter(headerValue: "Sun, 06 Nov 1994 08:49:37 GMT") == expected)
        #expect(RetryAfter(headerValue: "Sunday, 06-Nov-94 08:49:37 GMT") == expected)
        #expect(RetryAfter(headerValue: "Sun Nov  6 08:49:37 1994") == expected)
    }

    @Test func nonsenseIsIgnored() {
        #expect(RetryAfter(headerValue: "soon") == nil)
        #expect(RetryAfter(headerValue: "-5") == nil)
    }

    @Test func aDateInThePastMeansNoWait() {
        #expect(RetryAfter.date(Date(timeIntervalSince1970: 0)).delay(from: Date()) == .zero)
    }
}

@Suite struct BigQueryIdentifierTests {
    @Test func plausibleIdsPass() {
        #expect(BigQueryIdentifier.isValidProjectID("my-project-123"))
        #expect(BigQueryIdentifier.isValidProjectID("example.com:my-project"))
        #expect(BigQueryIdentifier.isValidDatasetID("analytics_v2"))
        #expect(BigQueryIdentifier.isValidTableID("page_views"))
        #expect(BigQueryIdentifier.isValidTableID("events$20240101"))
        #expect(BigQueryIdentifier.isValidTableID("Ereignisse-ä 1"))
    }

    @Test func idsThatCouldEscapeThePathFail() {
        #expect(!BigQueryIdentifier.isValidProjectID("p/../x"))
        #expect(!BigQueryIdentifier.isValidProjectID("-leading"))
        #expect(!BigQueryIdentifier.isValidDatasetID("a.b"))
        #expect(!BigQueryIdentifier.isValidDatasetID(""))
        #expect(!BigQueryIdentifier.isValidTableID("t?x"))
        #expect(!BigQueryIdentifier.isValidTableID("t#x"))
        #expect(!BigQueryIdentifier.isValidTableID("t%2F"))
        #expect(!BigQueryIdentifier.isValidTableID("t\nx"))
        #expect(!BigQueryIdentifier.isValidTableID(String(repeating: "a", count: 1025)))
    }
}
