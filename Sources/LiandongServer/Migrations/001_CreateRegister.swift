import Fluent

/// The register: jurisdictions, agencies, linkage units and their contact-change history.
struct CreateRegister: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(JurisdictionModel.schema)
            .field("id", .string, .identifier(auto: false))
            .field("name", .string, .required)
            .field("kind", .string, .required)
            .field("phone_check_scope", .bool, .required)
            .field("sort_order", .int, .required)
            .unique(on: "name")
            .create()

        try await database.schema(AgencyModel.schema)
            .field("id", .string, .identifier(auto: false))
            .field("name", .string, .required)
            .create()

        try await database.schema(LinkageUnit.schema)
            .field("id", .int, .identifier(auto: true))
            .field("name", .string, .required)
            .field("jurisdiction_id", .string, .required, .references(JurisdictionModel.schema, "id"))
            .field("level", .int, .required)
            .field("kind", .string, .required)
            .field("public_security", .bool, .required)
            .field("uniform_exempt", .bool, .required)
            .field("ranked", .bool, .required)
            .field("duties", .string, .required)
            .field("duty_phone", .string)
            .field("liaison_name", .string)
            .field("liaison_mobile", .string)
            .field("alternate_name", .string)
            .field("alternate_mobile", .string)
            .field("contacts_reported_at", .datetime)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "jurisdiction_id", "name")
            .create()

        try await database.schema(ContactChange.schema)
            .field("id", .int, .identifier(auto: true))
            .field("unit_id", .int, .required, .references(LinkageUnit.schema, "id"))
            .field("reported_at", .datetime, .required)
            .field("recorded_at", .datetime, .required)
            .field("reported_by", .string, .required)
            .field("channel", .string, .required)
            .field("note", .string)
            .field("changed_fields", .string, .required)
            .field("duty_phone", .string)
            .field("liaison_name", .string)
            .field("liaison_mobile", .string)
            .field("alternate_name", .string)
            .field("alternate_mobile", .string)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ContactChange.schema).delete()
        try await database.schema(LinkageUnit.schema).delete()
        try await database.schema(AgencyModel.schema).delete()
        try await database.schema(JurisdictionModel.schema).delete()
    }
}
