import Fluent
import FluentPostgresDriver
import Foundation
import PostgresNIO
import SQLKit
import Testing
import Vapor
import VaporTesting
import LiandongCore
@testable import LiandongServer

/// The database every test runs against: an SQLite file of its own by default, or a database of
/// its own on the PostgreSQL server named by `TEST_DATABASE_URL`. Both are real databases,
/// migrated and seeded exactly as on first start: once per test process into a template
/// (`TestTemplate`), which each test gets a copy of.
enum TestDatabase {
    static var postgresURL: String? {
        ProcessInfo.processInfo.environment["TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static var isPostgres: Bool { postgresURL != nil }

    /// `LIANDONG_TEST_TEMPLATE=0`: every test migrates and seeds a database of its own, as before
    /// the template (to compare the times, or to rule the template out).
    static var usesTemplate: Bool { ProcessInfo.processInfo.environment["LIANDONG_TEST_TEMPLATE"] != "0" }
}

/// Runs `body` with an application configured on a database of its own, then tears both down.
func withTestApp<T>(_ body: (Application) async throws -> T) async throws -> T {
    try await withTestApp(database: TestDatabase.isPostgres ? .postgres : .sqlite, body)
}

/// Which database a test application runs on.
enum TestDatabaseKind { case sqlite, postgres }

/// Runs `body` on a database of the kind asked for (PostgreSQL only when `TEST_DATABASE_URL` is
/// set): for comparing what the two store.
/// `fresh`: start from an empty database that `configure` migrates and seeds itself, as on a first
/// start, instead of from a copy of the template (for tests of what that start does).
func withTestApp<T>(database kind: TestDatabaseKind, fresh: Bool = false,
                    _ body: (Application) async throws -> T) async throws -> T {
    let fresh = fresh || !TestDatabase.usesTemplate
    let token = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    let setting: DatabaseSetting
    // What tearing down removes besides the application: the SQLite files, or the PostgreSQL
    // schema or database.
    var sqlitePath: String?
    var postgresDatabase: String?
    var postgresSchema: String?
    if kind == .postgres, let url = TestDatabase.postgresURL {
        if !fresh, let copy = try await TestTemplate.shared.postgresCopy(named: "lt_\(token.prefix(20))", of: url) {
            postgresDatabase = copy.name
            setting = .postgres(url: copy.url, searchPath: nil)
        } else {
            // A schema of its own in the server's database, which `configure` migrates and seeds.
            let schema = "t_\(token.prefix(16))"
            postgresSchema = schema
            setting = .postgres(url: url, searchPath: [schema])
        }
    } else {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("liandong-test-\(token).sqlite").path
        sqlitePath = path
        if !fresh { try await TestTemplate.shared.sqliteCopy(to: path) }
        setting = .sqlite(path: path)
    }
    let app = try await Application.make(.testing)
    app.commandOutput = .capturing()
    func tearDown() async {
        if let schema = postgresSchema {
            try? await (app.db as? any SQLDatabase)?.raw("DROP SCHEMA IF EXISTS \(ident: schema) CASCADE").run()
        }
        try? await app.asyncShutdown()
        if let name = postgresDatabase, let url = TestDatabase.postgresURL {
            try? await TestTemplate.dropPostgresDatabase(name, server: url)
        }
        if let path = sqlitePath {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
    }
    do {
        try await configure(app, database: setting)
        // The clock stands still unless a test moves it: what a test checks never depends on how
        // long the machine takes between two steps.
        app.liandong.clock.freeze()
        let result = try await body(app)
        await tearDown()
        return result
    } catch {
        await tearDown()
        throw error
    }
}

/// The migrated and seeded database the tests start from, made once per test process (the first
/// test to ask makes it; those asking meanwhile wait for it), so that a test pays for a copy and not
/// for every migration, the seed and the first administrator's bcrypt. `configure` then finds
/// every migration applied and the administrator there, and only reads.
/// - SQLite: a file, copied for each test.
/// - PostgreSQL: a database on the test server, the `TEMPLATE` of each test's `CREATE DATABASE`.
///   Nothing stays connected to it once it is made (PostgreSQL copies a template only then).
/// Both are removed when the test process exits.
actor TestTemplate {
    static let shared = TestTemplate()

    private var sqlite: Task<String, any Error>?
    /// Nil inside when the server refuses `CREATE DATABASE` (a role without CREATEDB): the tests
    /// then make a schema of their own each, as before.
    private var postgres: Task<String?, any Error>?

    /// `liandong-template-<pid>.sqlite` in the temporary directory.
    nonisolated static var sqlitePath: String {
        FileManager.default.temporaryDirectory.appendingPathComponent("liandong-template-\(getpid()).sqlite").path
    }

    /// `lt_template_<pid>` on the test server.
    nonisolated static var postgresName: String { "lt_template_\(getpid())" }

    /// Copies the template file to `path` (making the template first if need be).
    func sqliteCopy(to path: String) async throws {
        let template = try await sqliteTemplate()
        try FileManager.default.copyItem(atPath: template, toPath: path)
        // Empty after the checkpoint; copied should anything be left in it, so the copy is whole.
        if FileManager.default.fileExists(atPath: template + "-wal") {
            try FileManager.default.copyItem(atPath: template + "-wal", toPath: path + "-wal")
        }
    }

    private func sqliteTemplate() async throws -> String {
        if let sqlite { return try await sqlite.value }
        let task = Task { try await Self.makeSQLiteTemplate() }
        sqlite = task
        return try await task.value
    }

    private static func makeSQLiteTemplate() async throws -> String {
        let path = sqlitePath
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let app = try await Application.make(.testing)
        app.commandOutput = .capturing()
        do {
            try await configure(app, database: .sqlite(path: path))
            // Everything into the main file before the copies are taken.
            try await (app.db as! any SQLDatabase).raw("PRAGMA wal_checkpoint(TRUNCATE)").run()
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
        atexit {
            for suffix in ["", "-wal", "-shm"] { unlink(TestTemplate.sqlitePath + suffix) }
        }
        return path
    }

    /// Creates database `name` on the server of `url` as a copy of the template (making the
    /// template first if need be) and returns its URL; nil when the server lets this role create
    /// no database.
    func postgresCopy(named name: String, of url: String) async throws -> (name: String, url: String)? {
        let template: String?
        if let postgres {
            template = try await postgres.value
        } else {
            let task = Task { try await Self.makePostgresTemplate(server: url) }
            postgres = task
            template = try await task.value
        }
        guard let template else { return nil }
        try await Self.execute("CREATE DATABASE \(Self.quoted(name)) TEMPLATE \(Self.quoted(template))", server: url)
        return (name, try Self.url(url, database: name))
    }

    private static func makePostgresTemplate(server: String) async throws -> String? {
        let name = postgresName
        do {
            try await execute("DROP DATABASE IF EXISTS \(quoted(name)) WITH (FORCE)", server: server)
            try await execute("CREATE DATABASE \(quoted(name))", server: server)
        } catch {
            // No CREATEDB for this role: each test migrates a schema of its own instead.
            return nil
        }
        let app = try await Application.make(.testing)
        app.commandOutput = .capturing()
        do {
            try await configure(app, database: .postgres(url: try url(server, database: name), searchPath: nil))
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        // Closes the pool's connections: PostgreSQL copies a template nobody is connected to
        // (and waits a few seconds for sessions that are still ending).
        try await app.asyncShutdown()
        postgresServerForCleanup = server
        atexit {
            guard let server = TestTemplate.postgresServerForCleanup else { return }
            // The process is ending: wait for the drop on a loop of its own.
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let done = group.next().makeFutureWithTask {
                try await TestTemplate.execute("DROP DATABASE IF EXISTS \(TestTemplate.quoted(TestTemplate.postgresName)) WITH (FORCE)",
                                               server: server, on: group)
            }
            try? done.wait()
            try? group.syncShutdownGracefully()
        }
        return name
    }

    /// The server the template was made on, for dropping it at exit.
    nonisolated(unsafe) static var postgresServerForCleanup: String?

    /// Drops a test's database, even should a connection to it linger.
    static func dropPostgresDatabase(_ name: String, server: String) async throws {
        try await execute("DROP DATABASE IF EXISTS \(quoted(name)) WITH (FORCE)", server: server)
    }

    /// Runs one statement (`CREATE DATABASE` cannot run in a transaction) on a connection of its
    /// own to the database `server` names.
    static func execute(_ statement: String, server: String,
                        on group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws {
        let configuration = try SQLPostgresConfiguration(url: server).coreConfiguration
        let connection = try await PostgresConnection.connect(on: group.next(), configuration: configuration, id: 1,
                                                              logger: Logger(label: "liandong.test-template")).get()
        do {
            _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: Logger(label: "liandong.test-template"))
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }

    static func quoted(_ identifier: String) -> String { "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// `url` with its database (the path) replaced by `database`.
    static func url(_ url: String, database: String) throws -> String {
        guard var components = URLComponents(string: url) else { throw AppError(.internalServerError, "TEST_DATABASE_URL is not a URL") }
        components.path = "/" + database
        guard let result = components.string else { throw AppError(.internalServerError, "TEST_DATABASE_URL is not a URL") }
        return result
    }
}

extension Application {
    /// Runs a command line (`["units", "list", "--format", "json"]`) as the binary would and
    /// returns what it printed.
    func run(_ arguments: [String]) async throws -> String {
        let sink = CommandOutputSink.capturing()
        commandOutput = sink
        environment.arguments = ["liandong"] + arguments
        try await execute()
        return sink.captured
    }
}

/// A signed-in person for a test: the session cookie and the session's CSRF token.
struct TestUser: Sendable {
    let account: Account
    let cookie: String
    let csrf: String
    /// The TOTP secret when the account has a second factor.
    var totpSecret: [UInt8]? = nil

    static let password = "Test-Pass-2026"

    /// The code the user's authenticator shows for a time step.
    func code(step: Int64) -> String { OneTimeCodes(secret: totpSecret!).code(forCounter: step) }

    /// Adds the session cookie, and for changes the CSRF header, to a request.
    /// The same person after a response that rotated the session's cookie (sign-in steps,
    /// password change, re-authentication): the browser keeps the new one.
    func keepingCookie(of response: TestingHTTPResponse) -> TestUser {
        guard let fresh = response.headers.setCookie?[Auth.sessionCookie]?.string, !fresh.isEmpty else { return self }
        return TestUser(account: account, cookie: fresh, csrf: csrf, totpSecret: totpSecret)
    }

    func sign(_ req: inout TestingHTTPRequest) {
        req.headers.cookie = HTTPCookies(dictionaryLiteral: (Auth.sessionCookie, HTTPCookies.Value(string: cookie)))
        if req.method != .GET { req.headers.replaceOrAdd(name: "X-CSRF-Token", value: csrf) }
    }
}

extension Application {
    /// Creates an account with a known password and signs it in. Roles that must have a second
    /// factor get one (a fresh TOTP secret, no recovery codes), as if enrolled before: the session
    /// is fully signed in. `totp` overrides that.
    func signIn(_ role: Role, unitID: Int? = nil, jurisdiction: String? = nil, username: String? = nil,
                totp: Bool? = nil) async throws -> TestUser {
        let account = Account()
        account.username = username ?? "\(role.rawValue)-\(UUID().uuidString.prefix(6))"
        account.displayName = "测试\(role.name)"
        account.role = role.rawValue
        account.unitID = unitID
        account.jurisdictionID = jurisdiction
        account.passwordHash = try await password.async.hash(TestUser.password)
        account.mustChangePassword = false
        account.failedLogins = 0
        account.disabled = false
        var secret: [UInt8]?
        if totp ?? liandong.security.requiresTwoFactor(role) {
            secret = OneTimeCodes.generateSecret()
            account.totpSecret = TwoFactor.SecretBox.plainPrefix + Base32Secret.encode(secret!)
            account.totpEnabledAt = Date()
        }
        try await account.create(on: db)
        let (session, token) = try await Auth.startSession(for: account, source: "test", now: liandong.clock.now(), on: db)
        return TestUser(account: account, cookie: token, csrf: session.csrfToken, totpSecret: secret)
    }

    /// Sends a request as `user` (or as nobody).
    /// `cookies`: more cookies to send beside the session's (those a page set, as a browser keeps them).
    func send(_ method: HTTPMethod, _ path: String, as user: TestUser?,
              json: String? = nil, form: [String: String]? = nil, cookies: [String: String] = [:],
              _ check: (TestingHTTPResponse) async throws -> Void = { _ in }) async throws {
        try await testing().test(method, path, beforeRequest: { req in
            if let json {
                req.headers.contentType = .json
                req.body = ByteBuffer(string: json)
            }
            if let form { try req.content.encode(form, as: .urlEncodedForm) }
            user?.sign(&req)
            for (name, value) in cookies {
                var jar = req.headers.cookie ?? HTTPCookies()
                jar[name] = HTTPCookies.Value(string: value)
                req.headers.cookie = jar
            }
        }, afterResponse: check)
    }
}

/// Files the tests read, shared with the core's tests.
enum Fixtures {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures")
    }

    /// `artifacts/` at the package root (kept out of git): screenshots and files for a person to look at.
    static var artifacts: URL {
        let url = directory.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("artifacts")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func temporaryFile(_ name: String, contents: Data) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liandong-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try contents.write(to: url)
        return url
    }
}

/// Runs a program and returns its exit status and output.
func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [executable] + arguments
    if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read before waiting: a full pipe would block the child.
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}

/// Signing in through the pages, as a browser does: the password form, then the code form.
extension Application {
    /// GET /login for the form's token, then POST the username and password.
    func postLogin(_ username: String, _ password: String, next: String = "/units",
                   forwardedProto: String? = nil) async throws -> TestingHTTPResponse {
        var csrf = ""
        try await testing().test(.GET, "login") { res in
            csrf = res.headers.setCookie?[Auth.loginCSRFCookie]?.string ?? ""
        }
        var response: TestingHTTPResponse?
        try await testing().test(.POST, "login", beforeRequest: { req in
            req.headers.cookie = HTTPCookies(dictionaryLiteral: (Auth.loginCSRFCookie, .init(string: csrf)))
            if let forwardedProto { req.headers.add(name: "X-Forwarded-Proto", value: forwardedProto) }
            try req.content.encode(["username": username, "password": password, "_csrf": csrf, "next": next], as: .urlEncodedForm)
        }) { res in response = res }
        return response!
    }

    /// GET /login/code with the session cookie the password step set, then POST the code with the
    /// page's token.
    func postCode(_ code: String, cookie: String, next: String = "/units") async throws -> TestingHTTPResponse {
        var page = ""
        try await testing().test(.GET, "login/code?next=\(next)", beforeRequest: { req in
            req.headers.cookie = HTTPCookies(dictionaryLiteral: (Auth.sessionCookie, .init(string: cookie)))
        }) { res in page = res.body.string }
        let csrf = Self.formToken(page) ?? ""
        var response: TestingHTTPResponse?
        try await testing().test(.POST, "login/code", beforeRequest: { req in
            req.headers.cookie = HTTPCookies(dictionaryLiteral: (Auth.sessionCookie, .init(string: cookie)))
            try req.content.encode(["code": code, "_csrf": csrf, "next": next], as: .urlEncodedForm)
        }) { res in response = res }
        return response!
    }

    /// The `_csrf` hidden field of a page's form.
    static func formToken(_ html: String) -> String? {
        guard let range = html.range(of: #"name="_csrf" value="([^"]+)""#, options: .regularExpression) else { return nil }
        return String(html[range].dropFirst(#"name="_csrf" value=""#.count).dropLast())
    }

    /// The current TOTP time step as the server sees it.
    var totpStep: Int64 { OneTimeCodes(secret: [0]).counter(at: liandong.clock.now()) }
}
