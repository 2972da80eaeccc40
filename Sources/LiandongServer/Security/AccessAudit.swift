import Foundation
import LiandongCore
import Vapor

/// The security audit of reads (等保2.0 安全审计): who took personal data or documents out of the
/// system, and who was refused. These are the only writes a request that reads may make: they
/// change no fact of the mechanism, only record that the data was disclosed or withheld, in the
/// same tamper-evident chain as every change.
enum AccessAudit {
    /// Refusals one address may add to the log in a minute.
    static let refusalsPerMinute = 30

    /// The actions of this kind, for those who read the log (and the test that every other GET
    /// writes nothing).
    static let actions: Set<String> = [
        "export.units", "export.assessment", "export.notice", "export.findings", "export.deductions", "export.compliance", "attachment.download", "contacts.view",
        "access.refused", "access.csrf",
    ]

    /// Records a disclosure (an export, a download, contacts shown unmasked) before the data
    /// leaves: when the record cannot be stored, the data does not leave either.
    static func disclosed(_ req: Request, action: String, entity: String, entityID: String? = nil,
                          detail: [String: String] = [:]) async throws {
        try await AuditLog.append(req.db, actor: try req.actor(), action: action, entity: entity, entityID: entityID,
                                  after: detail.isEmpty ? nil : detail, at: req.now)
    }

    /// Records a refusal of someone signed in (or holding a token). Bookkeeping: the refusal
    /// stands whether or not the entry can be stored, and a flood from one address is bounded.
    static func refused(_ req: Request, status: HTTPResponseStatus, reason: String) async {
        guard let principal = req.principal else { return }
        let actor = Actor(principal: principal, source: req.sourceAddress)
        guard req.application.liandong.refusalAuditLimiter.allow(actor.source + "|" + principal.name, now: req.now) else {
            req.logger.warning("refusal not audited: over the per-minute bound", metadata: ["path": .string(req.url.path)])
            return
        }
        let action = req.refusal == .csrf ? "access.csrf" : "access.refused"
        let now = req.now
        let detail = ["method": req.method.rawValue, "path": req.url.path, "status": String(status.code), "reason": reason]
        await req.db.bookkeeping("refusal audit", logger: req.logger) { db in
            try await AuditLog.append(db, actor: actor, action: action, entity: "request", entityID: nil, after: detail, at: now)
        }
    }
}

extension AccessAudit {
    /// Records the units whose liaisons' names and mobiles a response shows unmasked to someone
    /// other than the unit itself; nothing when there are none.
    static func contactsShown(_ req: Request, units: [LinkageUnit]) async throws {
        guard let principal = req.principal else { return }
        let ids = units.compactMap(\.id).filter { id in
            principal.unitID != id && AccessPolicy.seesFullContacts(unitID: id, by: principal)
        }
        guard !ids.isEmpty else { return }
        let listed = ids.prefix(50).map(String.init).joined(separator: ",") + (ids.count > 50 ? ",…" : "")
        try await disclosed(req, action: "contacts.view", entity: "linkage_unit", entityID: ids.count == 1 ? String(ids[0]) : nil,
                            detail: ["path": req.url.path, "units": listed, "count": String(ids.count)])
    }
}

/// What kind of refusal a request met, when it is not plain authorisation.
enum Refusal: Sendable { case csrf }

extension Request {
    private struct RefusalKey: StorageKey { typealias Value = Refusal }

    var refusal: Refusal? {
        get { storage[RefusalKey.self] }
        set { storage[RefusalKey.self] = newValue }
    }
}

/// Refusals (403 and 429) of whoever is identified go to the audit log. Sign-in keeps its own
/// entries (`login.refused`, `login.failure`), so its routes are left to it.
struct RefusalAuditMiddleware: AsyncMiddleware {
    static let audited: Set<UInt> = [403, 429]

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            let response = try await next.respond(to: req)
            if Self.audited.contains(response.status.code), !req.url.path.hasPrefix("/login") {
                await AccessAudit.refused(req, status: response.status, reason: req.refusal == .csrf ? CSRFMiddleware.message : response.status.reasonPhrase)
            }
            return response
        } catch {
            let (status, message, _) = LiandongErrorMiddleware.describe(error)
            if Self.audited.contains(status.code), !req.url.path.hasPrefix("/login") {
                await AccessAudit.refused(req, status: status, reason: message)
            }
            throw error
        }
    }
}
