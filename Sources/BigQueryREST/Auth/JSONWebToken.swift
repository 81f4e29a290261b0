import Crypto
import Foundation
import SpoolJSON
import _CryptoExtras

/// The signed JWT a service account sends as its bearer assertion (RFC 7523), RS256.
package enum JSONWebToken {
    package static func assertion(
        keyID: String?, issuer: String, scope: String, audience: String, issuedAt: Date, lifetime: TimeInterval,
        key: _RSA.Signing.PrivateKey
    ) throws(CredentialsError) -> String {
        var header: [UInt8] = []
        JSONText.append(#"{"alg":"RS256","typ":"JWT""#, to: &header)
        if let keyID {
            JSONText.append(#","kid":"#, to: &header)
            JSONText.appendString(keyID, to: &header)
        }
        JSONText.append("}", to: &header)

        let issued = Int64(issuedAt.timeIntervalSince1970.rounded(.down))
        var claims: [UInt8] = []
        JSONText.append(#"{"iss":"#, to: &claims)
        JSONText.appendString(issuer, to: &claims)
        JSONText.append(#","scope":"#, to: &claims)
        JSONText.appendString(scope, to: &claims)
        JSONText.append(#","aud":"#, to: &claims)
        JSONText.appendString(audience, to: &claims)
        claims.append(contentsOf: #","iat":\#(issued),"exp":\#(issued + Int64(lifetime))}"#.utf8)

        let signingInput = Base64URL.encode(header) + "." + Base64URL.encode(claims)
        let signature: _RSA.Signing.RSASignature
        do {
            signature = try key.signature(for: Data(signingInput.utf8), padding: .insecurePKCS1v1_5)
        } catch {
            throw CredentialsError(.signingFailed, "signing the JWT assertion for \(issuer) failed")
        }
        return signingInput + "." + Base64URL.encode(signature.rawRepresentation)
    }
}
