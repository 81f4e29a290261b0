import Foundation
import SpoolJSON

/// Exchanges a grant for an access token at an OAuth 2 token endpoint (or the metadata server) and reads the
/// answer `{"access_token": …, "expires_in": …, "token_type": "Bearer"}`.
package enum OAuthTokenEndpoint {
    /// POSTs `form` to `url`. `source` names the credentials in errors.
    package static func requestToken(
        url: String, form: [(String, String)], http: HTTPClient, now: Date, source: String
    ) throws(CredentialsError) -> AccessToken {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        headers.add(name: "Accept", value: "application/json")
        let request = HTTPRequest(method: .post, url: url, headers: headers, body: PercentEncoding.formBody(form))
        return try exchange(request, http: http, now: now, source: source)
    }

    /// Sends a prepared token request and reads the token from the answer.
    package static func exchange(
        _ request: HTTPRequest, http: HTTPClient, now: Date, source: String
    ) throws(CredentialsError) -> AccessToken {
        let response: HTTPResponse
        do {
            response = try http.send(request)
        } catch {
            throw CredentialsError(
                .transport, "token endpoint \(URLOrigin.of(request.url)) for \(source) could not be reached: \(error)",
                transportError: error
            )
        }
        guard response.isSuccess else {
            throw rejection(response, url: request.url, source: source)
        }
        guard let object = response.jsonObject, let token = object["access_token"]?.stringValue, !token.isEmpty
        else {
            throw CredentialsError(
                .invalidTokenResponse,
                "token endpoint \(URLOrigin.of(request.url)) for \(source) answered HTTP \(response.status) without an access_token"
            )
        }
        let lifetime = object["expires_in"].flatMap { $0.stringValue ?? $0.numberLiteral }.flatMap(Double.init) ?? 3600
        return AccessToken(value: token, expiresAt: now.addingTimeInterval(lifetime))
    }

    /// An error with the HTTP status, the endpoint's origin and Google's `error` code. The rest of the answer is
    /// left out: `error_description` and other fields may echo the request (a JWT assertion, a refresh token, a
    /// client secret), and the URL may carry credentials of its own.
    private static func rejection(_ response: HTTPResponse, url: String, source: String) -> CredentialsError {
        var oauthError: String?
        switch response.jsonObject?["error"] {
        case .string(let error)?:
            oauthError = error
        case .object(let error)?:
            // Google APIs' error shape, which some token endpoints use too.
            oauthError = error["errors"]?.arrayValue?.first?.objectValue?["reason"]?.stringValue ?? error["status"]?.stringValue
        default:
            break
        }
        // An OAuth error code is a short word of letters and underscores (invalid_grant, UNAUTHENTICATED); anything
        // else (a token has digits, dots or slashes) is not quoted.
        oauthError = oauthError.flatMap { code in
            code.count <= 40 && code.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("A"..."Z").contains($0) } ? code : nil
        }
        var message = "token endpoint \(URLOrigin.of(url)) for \(source) answered HTTP \(response.status)"
        if let oauthError {
            message += " \(oauthError)"
        }
        return CredentialsError(.tokenEndpointRejected, message, httpStatus: response.status, oauthError: oauthError)
    }
}
