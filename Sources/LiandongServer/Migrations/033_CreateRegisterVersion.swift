import Fluent
import SQLKit

/// Issue 14: the register's version, one number the database raises in the same statement as
/// any change to the units, their jurisdictions, the agencies or the agencies' units, whichever
/// code makes it. `RegisterCache` keeps the register read once while that number stands, so
/// every page need not read it again; several servers on one database see the same number.
struct CreateRegisterVersion: AsyncMigration {
    static let tables = ["linkage_units", "jurisdictions", "agencies", "agency_units"]

    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("CREATE TABLE \(ident: RegisterCache.versionTable) (id INTEGER PRIMARY KEY, version BIGINT NOT NULL)").run()
        try await sql.raw("INSERT INTO \(ident: RegisterCache.versionTable) (id, version) VALUES (1, 1)").run()
        if sql.dialect.name == "postgresql" {
            try await sql.raw("""
                CREATE FUNCTION register_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN UPDATE register_version SET version = version + 1 WHERE id = 1; RETURN NULL; END $$
                """).run()
            for table in Self.tables {
                try await sql.raw("""
                    CREATE TRIGGER \(unsafeRaw: table)_register_version AFTER INSERT OR UPDATE OR DELETE ON \(ident: table)
                    FOR EACH STATEMENT EXECUTE FUNCTION register_version_bump()
                    """).run()
            }
        } else {
            for table in Self.tables {
                for event in ["INSERT", "UPDATE", "DELETE"] {
                    try await sql.raw("""
                        CREATE TRIGGER \(unsafeRaw: table)_register_version_\(unsafeRaw: event.lowercased()) AFTER \(unsafeRaw: event) ON \(ident: table)
                        BEGIN UPDATE register_version SET version = version + 1 WHERE id = 1; END
                        """).run()
                }
            }
        }
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        if sql.dialect.name == "postgresql" {
            for table in Self.tables { try await sql.raw("DROP TRIGGER IF EXISTS \(unsafeRaw: table)_register_version ON \(ident: table)").run() }
            try await sql.raw("DROP FUNCTION IF EXISTS register_version_bump()").run()
        } else {
            for table in Self.tables {
                for event in ["insert", "update", "delete"] {
                    try await sql.raw("DROP TRIGGER IF EXISTS \(unsafeRaw: table)_register_version_\(unsafeRaw: event)").run()
                }
            }
        }
        try await sql.raw("DROP TABLE IF EXISTS \(ident: RegisterCache.versionTable)").run()
    }
}
