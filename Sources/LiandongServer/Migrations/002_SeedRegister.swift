import Fluent
import LiandongCore

/// The register as the notice establishes it: the 11 jurisdictions, the 3 agencies and the
/// 46 city-level units of Annex 2 with their duties.
struct SeedRegister: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.writeTransaction { db in
            for (index, jurisdiction) in Jurisdictions.all.enumerated() {
                try await JurisdictionModel(jurisdiction, sortOrder: index + 1).create(on: db)
            }
            for agency in Agency.allCases {
                try await AgencyModel(agency).create(on: db)
            }
            for profile in Annex2.cityUnits {
                try await LinkageUnit(profile: profile, duties: Annex2.duties(for: profile.level)).create(on: db)
            }
        }
    }

    func revert(on database: any Database) async throws {
        try await ContactChange.query(on: database).delete()
        try await LinkageUnit.query(on: database).delete()
        try await AgencyModel.query(on: database).delete()
        try await JurisdictionModel.query(on: database).delete()
    }
}
