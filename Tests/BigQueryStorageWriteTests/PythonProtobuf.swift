import BigQueryStorageWrite
import Foundation
import SpoolTestSupport
import SwiftProtobuf

/// Python's protobuf library as the reference encoder: a message class built from our writer schema (the same
/// `DescriptorProto` bytes), each expected row given in protobuf's JSON mapping (`json_format.ParseDict`), then
/// `SerializeToString`. It runs in the BigQuery emulator's venv, which has protobuf (scripts/emulator installs it).
enum PythonProtobuf {
    static let script = #"""
        import base64, json, sys
        from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

        request = json.load(sys.stdin)
        message = descriptor_pb2.DescriptorProto.FromString(base64.b64decode(request["descriptor"]))
        file_proto = descriptor_pb2.FileDescriptorProto(name="row.proto", syntax="proto2")
        file_proto.message_type.add().CopyFrom(message)
        pool = descriptor_pool.DescriptorPool()
        pool.Add(file_proto)
        row_class = message_factory.GetMessageClass(pool.FindMessageTypeByName(message.name))
        out = []
        for row in request["rows"]:
            parsed = json_format.ParseDict(row, row_class())
            out.append(parsed.SerializeToString().hex())
        json.dump(out, sys.stdout)
        """#

    /// The emulator venv's python: $SPOOL_EMULATOR_HOME/venv, else the repository's .emulator/venv (as
    /// scripts/emulator decides).
    static var python: String {
        let home = ProcessInfo.processInfo.environment["SPOOL_EMULATOR_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? BuiltProducts.repositoryRoot.appendingPathComponent(".emulator").path
        return home + "/venv/bin/python"
    }

    /// Each row (protobuf JSON mapping text) serialized by Python against `descriptor`.
    static func serialize(descriptor: Google_Protobuf_DescriptorProto, rows: [String]) throws -> [[UInt8]] {
        let descriptorBytes: Data = try descriptor.serializedBytes()
        let request = "{\"descriptor\": \"\(descriptorBytes.base64EncodedString())\", \"rows\": [\(rows.joined(separator: ","))]}"
        let result = try ChildProcess.run(python, ["-c", script], stdin: Data(request.utf8))
        guard result.code == 0 else {
            throw PythonFailure(description: "python protobuf failed (\(result.code)): \(result.stderr.suffix(1500))")
        }
        let hexRows = try JSONDecoder().decode([String].self, from: Data(result.stdout.utf8))
        return hexRows.map(bytes(hex:))
    }

    struct PythonFailure: Error, CustomStringConvertible {
        let description: String
    }

    static func bytes(hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }
}
