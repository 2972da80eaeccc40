import Fluent
import Foundation
import LiandongCore
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// One linkage unit as pages read it: plain values, shared by every request.
struct RegisterUnit: Sendable, Decodable {
    var id: Int
    var name: String
    var jurisdictionID: String
    var level: Int
    var kind: String
    var publicSecurity: Bool
    var ranked: Bool
    var dutyPhone: String?
    var liaisonMobile: String?

    var unitLevel: UnitLevel { UnitLevel(rawValue: level) ?? .three }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, name, level, kind, ranked
        case jurisdictionID = "jurisdiction_id", publicSecurity = "public_security", dutyPhone = "duty_phone", liaisonMobile = "liaison_mobile"
    }
    static let columns = CodingKeys.allCases.map(\.rawValue)

    /// Whether the principal may see this unit (`AccessPolicy`).
    func visible(to principal: Principal) -> Bool { AccessPolicy.canView(unitID: id, jurisdictionID: jurisdictionID, by: principal) }
}

/// The register as one version of it stood: every unit and the supervising agencies.
struct RegisterSnapshot: Sendable {
    let version: Int64
    /// In the register's order: jurisdiction, level, number.
    let units: [RegisterUnit]
    let byID: [Int: RegisterUnit]
    let names: [Int: String]
    let agencies: AgencyDirectory

    func name(_ unitID: Int) -> String? { byID[unitID]?.name }

    static func load(version: Int64, on sql: any SQLDatabase) async throws -> RegisterSnapshot {
        let units = try await sql.select().columns(RegisterUnit.columns.map { SQLColumn($0) }).from(LinkageUnit.schema)
            .all(decoding: RegisterUnit.self)
            .sorted { RegisterService.registerOrder($0.jurisdictionID, $0.level, $0.id, before: $1.jurisdictionID, $1.level, $1.id) }
        let byID = Dictionary(units.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        return RegisterSnapshot(version: version, units: units, byID: byID, names: byID.mapValues(\.name), agencies: try await AgencyStore.load(on: sql))
    }
}

/// The register read once and kept while its version in the database stands (issue 14: a
/// cache after authentication, shared by everyone, invalidated by the data it was made from,
/// right with several servers on one database). The database raises the version in the
/// statement that changes the register (`CreateRegisterVersion`'s triggers), so a request
/// reads one number and, only when it moved, the register again. Read by pages, never inside a
/// write transaction: a writer reads the register through its own transaction.
final class RegisterCache: Sendable {
    static let versionTable = "register_version"
    private let kept = NIOLockedValueBox<RegisterSnapshot?>(nil)

    static func version(on sql: any SQLDatabase) async throws -> Int64 {
        struct V: Decodable { var version: Int64 }
        return try await sql.select().column("version").from(versionTable).where("id", .equal, SQLBind(1)).first(decoding: V.self)?.version ?? 0
    }

    func snapshot(on sql: any SQLDatabase) async throws -> RegisterSnapshot {
        let version = try await Self.version(on: sql)
        if let snapshot = kept.withLockedValue({ $0 }), snapshot.version == version { return snapshot }
        let snapshot = try await RegisterSnapshot.load(version: version, on: sql)
        kept.withLockedValue { current in
            if (current?.version ?? .min) < version { current = snapshot }
        }
        return snapshot
    }
}

extension Request {
    private struct RegisterKey: StorageKey { typealias Value = RegisterSnapshot }

    /// The register as this request reads it: one version for the whole request.
    func register() async throws -> RegisterSnapshot {
        if let snapshot = storage[RegisterKey.self] { return snapshot }
        let snapshot = try await application.liandong.registerCache.snapshot(on: db as! any SQLDatabase)
        storage[RegisterKey.self] = snapshot
        return snapshot
    }
}
