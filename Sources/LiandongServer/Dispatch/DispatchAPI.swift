import Fluent
import Foundation
import LiandongCore
import Vapor

enum DispatchAPI {
    /// Events a request may carry.
    static let batchLimit = 10_000

    /// POST /api/v1/dispatch-events: one event or an array; a token with `dispatch:ingest`.
    @Sendable static func ingest(req: Request) async throws -> IngestSummary {
        let actor = try req.actor()
        let principal = actor.principal
        try req.authorize(principal.has(.dispatchIngest) || principal.role == .admin, "需要具有“推送110联动警情”权限的接口令牌")
        guard req.application.liandong.ingestLimiter.allow(principal.name, now: req.now) else {
            throw AppError(.tooManyRequests, "推送过于频繁，请稍后再试")
        }
        guard let body = req.body.data else { throw AppError(.badRequest, "请求内容为空") }
        guard req.headers.contentType == .json else { throw AppError(.unsupportedMediaType, "请使用 application/json") }
        let events: [DispatchEventInput]
        do {
            events = try DispatchEventParser.parseJSON(Data(buffer: body), limit: batchLimit, dates: req.application.factDates)
        } catch {
            throw AppError(.unprocessableEntity, error.row > 0 ? "第\(error.row)条事件「\(error.field)」：\(error.message)" : error.message,
                           field: error.field.isEmpty ? nil : error.field)
        }
        do {
            return try await DispatchService.ingest(events, actor: actor, rules: req.application.liandong.ruleBook, now: req.now, on: req.db)
        } catch let error as ImportError {
            throw AppError(.unprocessableEntity, "第\(error.row)条事件「\(error.field)」：\(error.message)", field: error.field)
        }
    }

    static func findingFilter(_ req: Request) async throws -> FindingFilter {
        struct Query: Decodable { var from: String?; var to: String?; var unit: String?; var source: String?; var q: String? }
        let q = try req.query.decode(Query.self)
        let principal = try req.requirePrincipal()
        var filter = FindingFilter()
        if let raw = q.from?.nilIfEmpty {
            guard let d = LocalDate(raw) else { throw AppError(.badRequest, "from 应为日期，如 2026-03-01", field: "from") }
            filter.from = d
        }
        if let raw = q.to?.nilIfEmpty {
            guard let d = LocalDate(raw) else { throw AppError(.badRequest, "to 应为日期，如 2026-03-31", field: "to") }
            filter.to = d
        }
        if let raw = q.unit?.nilIfEmpty {
            guard let id = Int(raw) else { throw AppError(.badRequest, "unit 应为单位编号", field: "unit") }
            filter.unitID = id
        }
        if let raw = q.source?.nilIfEmpty {
            guard let s = FindingSource(rawValue: raw) else { throw AppError(.badRequest, "未知来源“\(raw)”", field: "source") }
            filter.source = s
        }
        switch principal.role {
        case .liaison:
            if let asked = filter.unitID, asked != principal.unitID { throw AppError(.forbidden, "只能查看本单位的问题") }
            filter.unitID = principal.unitID ?? -1
        case .plc, .emb, .psb:
            filter.jurisdictionID = principal.jurisdictionID
        case .admin: break
        case nil: throw AppError(.forbidden, "接口令牌无权查看问题清单")
        }
        // A unit searched by name or pinyin initials (`q`).
        filter.unitIDs = try await RegisterService.unitIDs(matching: q.q, on: req.db)
        return filter
    }

    /// GET /api/v1/findings
    @Sendable static func findings(req: Request) async throws -> [FindingDTO] {
        try await FindingService.list(await findingFilter(req), on: req.db)
    }
}
