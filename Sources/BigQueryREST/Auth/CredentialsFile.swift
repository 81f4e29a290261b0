import Foundation
import SpoolJSON

/// A Google credentials JSON file (service account key or gcloud's authorized_user file), read and checked
/// field by field so that errors can name what is missing without echoing any value.
package struct CredentialsFile {
    package let path: String
    private let object: JSONObject

    package static func read(path: String) throws(CredentialsError) -> CredentialsFile {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CredentialsError(.fileMissing, "credentials file \(path) does not exist")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CredentialsError(.fileUnreadable, "credentials file \(path) could not be read (\(Self.reason(of: error)))")
        }
        return try parse(data, path: path)
    }

    package static func parse(_ data: Data, path: String) throws(CredentialsError) -> CredentialsFile {
        guard let object = (try? JSONParser.parse(data))?.objectValue else {
            throw CredentialsError(.notJSON, "credentials file \(path) is not a JSON object")
        }
        return CredentialsFile(path: path, object: object)
    }

    /// The `type` field: `service_account`, `authorized_user` …
    package func type() throws(CredentialsError) -> String {
        try requiredString("type")
    }

    package func requiredString(_ field: String) throws(CredentialsError) -> String {
        guard let value = object[field]?.stringValue, !value.isEmpty else {
            throw CredentialsError(.missingField, "credentials file \(path) has no \"\(field)\" field")
        }
        return value
    }

    package func optionalString(_ field: String) -> String? {
        guard let value = object[field]?.stringValue, !value.isEmpty else { return nil }
        return value
    }

    /// Only the error's domain and code: Foundation's descriptions are safe, but this keeps messages short.
    private static func reason(of error: any Error) -> String {
        let nsError = error as NSError
        if let posix = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(posix.code)))
        }
        return "\(nsError.domain) \(nsError.code)"
    }
}
