import Foundation
import LeafKit
import NIOCore
import Vapor

/// The files that ship with the server: views, styles, scripts, the OpenAPI document. They are
/// compiled into the binary (`EmbeddedAssets`, generated from `Assets/` by the EmbedAssets
/// plugin), so a release is one file that runs from any directory (issue 22); nothing is read
/// from disk at run time.
enum Resources {
    /// Path under `Assets/` (`Views/base.leaf`, `Public/app.css`, `openapi.yaml`) → contents.
    static let files: [String: Data] = EmbeddedAssets.base64.mapValues { encoded in
        guard let data = Data(base64Encoded: encoded) else { fatalError("EmbeddedAssets holds invalid base64") }
        return data
    }

    static func data(_ path: String) -> Data? { files[path] }

    static func text(_ path: String) -> String? { data(path).map { String(decoding: $0, as: UTF8.self) } }
}

/// The release's version (`liandong --version`, the footer administrators see, the start-up log).
/// Its one home is the package's VERSION file, compiled in by the EmbedAssets plugin.
public enum LiandongVersion {
    public static let string = EmbeddedAssets.version
}

/// Leaf's templates from the embedded `Views/` (`base` or `base.leaf`).
struct EmbeddedLeafSource: LeafSource, Sendable {
    func file(template: String, escape: Bool, on eventLoop: any EventLoop) throws -> EventLoopFuture<ByteBuffer> {
        let name = template.hasSuffix(".leaf") ? template : template + ".leaf"
        guard !name.split(separator: "/").contains(".."), let data = Resources.data("Views/" + name) else {
            return eventLoop.makeFailedFuture(LeafError(.noTemplateExists(template)))
        }
        return eventLoop.makeSucceededFuture(ByteBuffer(data: data))
    }
}

/// Serves the embedded `Public/` files (styles, scripts) at `/app.css`, `/checks.js`, …, in
/// place of Vapor's FileMiddleware, with an ETag so that browsers revalidate cheaply.
struct EmbeddedPublicMiddleware: AsyncMiddleware {
    private struct Asset: Sendable {
        var body: ByteBuffer
        var contentType: HTTPMediaType
        var etag: String
    }

    private let assets: [String: Asset]

    init() {
        var assets: [String: Asset] = [:]
        for (path, data) in Resources.files where path.hasPrefix("Public/") {
            let urlPath = "/" + path.dropFirst("Public/".count)
            let ext = (path as NSString).pathExtension.lowercased()
            let type = HTTPMediaType.fileExtension(ext) ?? .binary
            let digest = SHA256.hash(data: data).prefix(12).map { String(format: "%02x", $0) }.joined()
            assets[urlPath] = Asset(body: ByteBuffer(data: data), contentType: type, etag: "\"\(digest)\"")
        }
        self.assets = assets
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.method == .GET || request.method == .HEAD, let asset = assets[request.url.path] else {
            return try await next.respond(to: request)
        }
        var headers = HTTPHeaders()
        headers.contentType = asset.contentType
        headers.replaceOrAdd(name: .eTag, value: asset.etag)
        if request.headers.first(name: .ifNoneMatch) == asset.etag {
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(buffer: asset.body))
    }
}
