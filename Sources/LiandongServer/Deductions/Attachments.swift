import Fluent
import Foundation
import LiandongCore
import SQLKit
import Vapor

/// Files a unit attaches to its appeal (申诉材料) or to its report of a rectification done (整改
///佐证): kept in the database with the record they support, so a backup holds them too.
enum Attachments {
    enum Owner: String {
        case appeal, rectification
    }

    struct Meta: Content {
        var id: Int
        var filename: String
        var size: Int
    }

    /// Office documents, PDFs and photos; up to 10 MiB each.
    static let maxBytes = 10 * 1024 * 1024
    static let types: [String: String] = [
        "pdf": "application/pdf", "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png",
        "doc": "application/msword", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls": "application/vnd.ms-excel", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ]

    /// What a form that carries files may send in all: room for one file over the limit, so
    /// that a file too large is refused by `accept`, with the form shown again as typed, rather
    /// than by the body limit before the handler has seen the text.
    static let maxRequestBytes = 2 * maxBytes + 1024 * 1024

    /// The message for a refused form that carried a file: a browser cannot be handed the file
    /// back, so the person is told to choose it again.
    static func refusal(_ message: String, chosen file: File?) -> String {
        guard let file, !file.filename.isEmpty else { return message }
        return message + "（附件未保存，请重新选择后提交）"
    }

    /// The file of a form, checked; nil when none was chosen.
    static func accept(_ file: File?, field: String = "attachment") throws -> File? {
        guard let file, file.data.readableBytes > 0 || !file.filename.isEmpty else { return nil }
        guard file.data.readableBytes > 0 else { throw AppError.invalid("附件“\(file.filename)”是空文件", field: field) }
        guard file.data.readableBytes <= maxBytes else {
            throw AppError(.payloadTooLarge, "附件“\(file.filename)”超过 \(maxBytes / 1024 / 1024) MB", field: field)
        }
        let ext = (file.filename as NSString).pathExtension.lowercased()
        guard types[ext] != nil else {
            throw AppError.invalid("附件只能是 PDF、图片（JPG、PNG）或 Word、Excel 文件，不能是“\(file.filename)”", field: field)
        }
        return file
    }

    static func save(_ file: File, owner: Owner, ownerID: Int, actor: Actor, now: Date = Date(), on db: any Database) async throws {
        let data = Data(buffer: file.data)
        let name = String(file.filename.split(separator: "/").last ?? "附件").prefix(120)
        let ext = (name as NSString).pathExtension.lowercased()
        try await db.writeTransaction { tx in
            try await (tx as! any SQLDatabase).insert(into: "attachments")
                .columns("owner", "owner_id", "filename", "content_type", "size", "sha256", "data", "uploaded_by", "uploaded_at")
                .values(SQLBind(owner.rawValue), SQLBind(ownerID), SQLBind(String(name)), SQLBind(types[ext] ?? "application/octet-stream"),
                        SQLBind(data.count), SQLBind(SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()), SQLBind(data),
                        SQLBind(actor.principal.name), SQLBind(now))
                .run()
            try await AuditLog.append(tx, actor: actor, action: "attachment.upload", entity: owner.rawValue, entityID: String(ownerID),
                                      after: ["filename": String(name), "size": String(data.count)], at: now)
        }
    }

    /// The files of each record.
    static func list(_ owner: Owner, ids: [Int], on db: any Database) async throws -> [Int: [Meta]] {
        guard !ids.isEmpty else { return [:] }
        struct Row: Decodable { var id: Int; var owner_id: Int; var filename: String; var size: Int }
        var result: [Int: [Meta]] = [:]
        for chunk in ids.chunked(into: 500) {
            for row in try await (db as! any SQLDatabase).select().columns("id", "owner_id", "filename", "size").from("attachments")
                .where("owner", .equal, SQLBind(owner.rawValue)).where("owner_id", .in, SQLBind.group(chunk)).orderBy("id")
                .all(decoding: Row.self) {
                result[row.owner_id, default: []].append(Meta(id: row.id, filename: row.filename, size: row.size))
            }
        }
        return result
    }

    /// GET /attachments/:id — for the unit that attached it and for the officers.
    @Sendable static func download(req: Request) async throws -> Response {
        let principal = try req.requirePrincipal()
        guard let id = req.parameters.get("id", as: Int.self) else { throw AppError.notFound("附件") }
        struct Row: Decodable { var owner: String; var owner_id: Int; var filename: String; var content_type: String; var data: Data }
        guard let row = try await (req.db as! any SQLDatabase).select().columns("owner", "owner_id", "filename", "content_type", "data")
            .from("attachments").where("id", .equal, SQLBind(id)).first(decoding: Row.self) else { throw AppError.notFound("编号为 \(id) 的附件") }
        // The deduction the file belongs to decides who may read it.
        struct D: Decodable { var unit_id: Int? }
        let deductionID: Int
        if row.owner == Owner.rectification.rawValue {
            struct R: Decodable { var deduction_id: Int }
            guard let r = try await (req.db as! any SQLDatabase).select().column("deduction_id").from("rectifications")
                .where("id", .equal, SQLBind(row.owner_id)).first(decoding: R.self) else { throw AppError.notFound("附件") }
            deductionID = r.deduction_id
        } else {
            deductionID = row.owner_id
        }
        let unitID = try await (req.db as! any SQLDatabase).select().column("unit_id").from("deductions")
            .where("id", .equal, SQLBind(deductionID)).first(decoding: D.self)?.unit_id
        var unit: LinkageUnit?
        if let unitID { unit = try await RegisterService.unit(unitID, on: req.db) }
        let allowed: Bool = switch principal.role {
        case .liaison?: unitID != nil && principal.unitID == unitID
        case .admin?: true
        case .plc?, .emb?, .psb?: principal.jurisdictionID == nil || principal.jurisdictionID == unit?.jurisdictionID
        default: false
        }
        // Someone else's file is not there at all; the refusal is recorded all the same.
        guard allowed else {
            await AccessAudit.refused(req, status: .forbidden, reason: "附件 \(id) 不在其可见范围内")
            throw AppError.notFound("编号为 \(id) 的附件")
        }
        try await AccessAudit.disclosed(req, action: "attachment.download", entity: row.owner, entityID: String(row.owner_id),
                                        detail: ["attachment": String(id), "filename": row.filename])
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: row.content_type)
        let encoded = row.filename.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "attachment"
        headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename*=UTF-8''\(encoded)")
        headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        return Response(status: .ok, headers: headers, body: .init(data: row.data))
    }
}
