import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import Leaf
import LeafKit
import LiandongCore
import NIOSSL
import NIOConcurrencyHelpers
import Vapor

/// Wires the application: database, schema, views, middleware, routes and commands.
/// `database` defaults to what `DATABASE_URL` says.
public func configure(_ app: Application, database: DatabaseSetting? = nil) async throws {
    let setting = try database ?? DatabaseSetting.parse(Environment.get("DATABASE_URL"))
    app.liandong = LiandongState(database: setting, ruleBook: .standard,
                                 secureCookies: Environment.get("LIANDONG_SECURE_COOKIES").map { ["1", "true", "yes"].contains($0.lowercased()) } ?? false)
    app.liandong.security = try securityPolicy(from: Environment.get)
    app.liandong.trustedProxies = try TrustedProxies.parse(Environment.get("LIANDONG_TRUSTED_PROXIES"))
    app.liandong.totpSecrets = TwoFactor.SecretBox(key: try TwoFactor.SecretBox.key(from: Environment.get("LIANDONG_TOTP_KEY")))
    AuditLog.algorithm = try auditHashAlgorithm(from: Environment.get)
    // bcrypt at its usual cost; the test suite, which creates many accounts, uses the minimum.
    app.passwords.use(.bcrypt(cost: app.environment == .testing ? 4 : 12))

    try await configureDatabase(app, setting)
    // Fluent's `migrate` command (and `migrate --revert`) see the same list.
    app.migrations.add(LiandongMigrations.all)
    // The schema is brought up to date by every command, not only `migrate` (issue: one binary,
    // created, migrated and seeded on first start), each migration in one transaction with its
    // record, so that a start killed part-way is finished by the next one.
    // A database a newer version migrated is refused; an SQLite file is copied aside before
    // an upgrade's first migration (issue 22).
    try await UpgradeSafety.migrate(app, setting)
    // The initial rules and every revision an administrator has published.
    app.liandong.ruleBook = try await RuleSetStore.book(on: app.db)
    // The working calendar (holidays and make-up working days) as the database holds it.
    try await WorkingCalendarStore.refresh(app)
    try await Bootstrap.firstAdministrator(app)
    try await TwoFactor.checkSecretsCanBeOpened(app)

    // Content: JSON keys in snake_case on the wire.
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    ContentConfiguration.global.use(encoder: encoder, for: .json)
    ContentConfiguration.global.use(decoder: decoder, for: .json)

    // Views and static files are compiled into the binary, so it works from any directory.
    app.views.use(.leaf)
    app.leaf.sources = .singleSource(EmbeddedLeafSource())
    app.leaf.cache.isEnabled = app.environment.isRelease
    app.leaf.tags["points"] = PointsTag()

    app.middleware = Middlewares()
    app.middleware.use(RouteLoggingMiddleware(logLevel: .info))
    app.middleware.use(SecurityHeadersMiddleware())
    app.middleware.use(LiandongErrorMiddleware())
    app.middleware.use(WritePatienceMiddleware())
    app.middleware.use(EmbeddedPublicMiddleware())
    app.routes.defaultMaxBodySize = "2mb"

    Telemetry.bootstrap()
    try routes(app)

    app.asyncCommands.use(UnitsCommand(), as: "units")
    app.asyncCommands.use(AgenciesCommand(), as: "agencies")
    app.asyncCommands.use(RulesCommand(), as: "rules")
    app.asyncCommands.use(PlansCommand(), as: "plans")
    app.asyncCommands.use(DemoCommand(), as: "demo")
    app.asyncCommands.use(AccountsCommand(), as: "accounts")
    app.asyncCommands.use(TokensCommand(), as: "tokens")
    app.asyncCommands.use(AuditCommand(), as: "audit")
    app.asyncCommands.use(BackupCommand(), as: "backup")
    app.asyncCommands.use(RestoreCommand(), as: "restore")
    app.asyncCommands.use(DispatchesCommand(), as: "dispatches")
    app.asyncCommands.use(FindingsCommand(), as: "findings")
    app.asyncCommands.use(ComplianceCommand(), as: "compliance")
    app.asyncCommands.use(ChecksCommand(), as: "checks")
    app.asyncCommands.use(SupervisionCommand(), as: "supervision")
    app.asyncCommands.use(DeductionsCommand(), as: "deductions")
    app.asyncCommands.use(AssessCommandGroup(), as: "assess")
    app.asyncCommands.use(ProvinceCommand(), as: "province")
    app.asyncCommands.use(NoticeCommand(), as: "notice")
    app.asyncCommands.use(BenchCommand(), as: "bench")
    app.asyncCommands.use(GenerateCommand(), as: "generate")
    app.asyncCommands.use(JudgeCommand(), as: "judge")
    app.asyncCommands.use(CalendarCommand(), as: "calendar")
    app.lifecycle.use(PendingJudgement())
}

/// The sign-in settings, overridable by the deployment; a bad value stops the start.
func securityPolicy(from get: (String) -> String?) throws -> SecurityPolicy {
    var policy = SecurityPolicy()
    func number(_ variable: String, _ range: ClosedRange<Int>) throws -> Int? {
        guard let raw = get(variable)?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
        guard let value = Int(raw), range.contains(value) else {
            throw ConfigurationError(variable: variable, message: "应为 \(range.lowerBound) 到 \(range.upperBound) 之间的整数，而不是“\(raw)”")
        }
        return value
    }
    policy.lockoutThreshold = try number("LIANDONG_LOCKOUT_THRESHOLD", 3...20) ?? policy.lockoutThreshold
    policy.accountLockoutThreshold = policy.lockoutThreshold * 10
    policy.lockoutMinutes = try number("LIANDONG_LOCKOUT_MINUTES", 1...1440) ?? policy.lockoutMinutes
    policy.idleTimeoutMinutes = try number("LIANDONG_SESSION_IDLE_MINUTES", 5...480) ?? policy.idleTimeoutMinutes
    if let raw = get("LIANDONG_REQUIRE_TOTP")?.trimmingCharacters(in: .whitespaces), !raw.isEmpty {
        switch raw.lowercased() {
        case "1", "true", "yes", "on": policy.requireTwoFactor = true
        case "0", "false", "no", "off": policy.requireTwoFactor = false
        default: throw ConfigurationError(variable: "LIANDONG_REQUIRE_TOTP", message: "应为 1（要求）或 0（不要求），而不是“\(raw)”")
        }
    }
    return policy
}

/// `LIANDONG_AUDIT_HASH`: the hash new audit entries are chained with, `sha256` (the default) or
/// `sm3`. Each entry records its own, so a chain may mix both and still verifies.
func auditHashAlgorithm(from get: (String) -> String?) throws -> AuditHashAlgorithm {
    guard let raw = get("LIANDONG_AUDIT_HASH"), !raw.trimmingCharacters(in: .whitespaces).isEmpty else { return .sha256 }
    guard let algorithm = AuditHashAlgorithm(configValue: raw) else {
        throw ConfigurationError(variable: "LIANDONG_AUDIT_HASH", message: "应为 sha256 或 sm3，而不是“\(raw)”")
    }
    return algorithm
}

/// `LIANDONG_SQLITE_SYNCHRONOUS`: FULL by default, so that an acknowledged write survives a
/// power cut; NORMAL (in WAL mode) may lose the last transactions on power loss, never the
/// database's integrity, and writes faster.
func sqliteSynchronous(from raw: String?) throws -> String {
    guard let raw = raw?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return "FULL" }
    let value = raw.uppercased()
    guard ["FULL", "NORMAL", "EXTRA"].contains(value) else {
        throw ConfigurationError(variable: "LIANDONG_SQLITE_SYNCHRONOUS", message: "应为 FULL、NORMAL 或 EXTRA，而不是“\(raw)”")
    }
    return value
}

func configureDatabase(_ app: Application, _ setting: DatabaseSetting) async throws {
    switch setting {
    case .sqlite(let path):
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: directory) else {
            throw ConfigurationError(variable: "DATABASE_URL", message: "SQLite 文件所在目录“\(directory)”不存在")
        }
        // One reading connection per event loop (SQLite's driver keeps no more) and, on the same
        // file, the project's own writing connection, which `writeTransaction` uses one
        // transaction at a time: writers queue at the file's gate, and reads never wait behind a write.
        let synchronous = try sqliteSynchronous(from: Environment.get("LIANDONG_SQLITE_SYNCHRONOUS"))
        let writer = SQLiteWriter(path: path, synchronous: synchronous, busyTimeoutMilliseconds: DatabasePool.busyTimeoutMilliseconds)
        app.databases.useGatedSQLite(writer: writer) {
            .sqlite(.file(path), connectionPoolTimeout: DatabasePool.requestTimeout(testing: app.environment == .testing))
        }
        // WAL lets pages read while a write is under way; the setting persists in the file.
        let sql = app.db as! any SQLDatabase
        try await sql.raw("PRAGMA journal_mode=WAL").run()
        // `synchronous` and the busy timeout belong to each connection (the writer sets its own).
        // The pool keeps one connection per event loop for the life of the application, so
        // setting them on each now covers whatever is written outside `writeTransaction`.
        for loop in app.eventLoopGroup.makeIterator() {
            guard let db = app.databases.database(.sqlite, logger: app.logger, on: loop) as? any SQLDatabase else { continue }
            try await db.raw("PRAGMA synchronous = \(unsafeRaw: synchronous)").run()
            // Another process writing the file (a command beside the server) is waited for up
            // to this long, sleeping, before SQLite refuses the write.
            try await db.raw("PRAGMA busy_timeout = \(unsafeRaw: String(DatabasePool.busyTimeoutMilliseconds))").run()
        }
    case .postgres(let url, let searchPath):
        var configuration = try SQLPostgresConfiguration(url: url)
        configuration.searchPath = searchPath
        // Writers run side by side on PostgreSQL: enough connections for the ingest clients and
        // the pages at once, and a request waits up to the pool's timeout for one.
        app.databases.use(.postgres(configuration: configuration,
                                    maxConnectionsPerEventLoop: try DatabasePool.connectionsPerEventLoop(from: Environment.get,
                                                                                                     testing: app.environment == .testing),
                                    connectionPoolTimeout: DatabasePool.requestTimeout(testing: app.environment == .testing),
                                    encodingContext: .default, decodingContext: .default), as: .psql)
        if let schema = searchPath?.first {
            // A deployment (or a test) may keep its tables in a schema of its own.
            try await (app.db as! any SQLDatabase).raw("CREATE SCHEMA IF NOT EXISTS \(ident: schema)").run()
        }
    }
}

/// The database connections: how many, and how long a request waits for one.
enum DatabasePool {
    /// How long a request waits for a pooled connection before it is answered 503.
    static let requestTimeoutSeconds = 30
    /// Under test, hundreds of applications share two cores and one connection per event loop
    /// each: a wait for a connection there says nothing of the product, so it is long.
    static func requestTimeout(testing: Bool) -> TimeAmount { .seconds(Int64(testing ? 600 : requestTimeoutSeconds)) }
    /// SQLite: how long a write waits for another process's write lock.
    static let busyTimeoutMilliseconds = 10_000
    /// How long an HTTP request waits for its turn to write (SQLite) before it is answered 503
    /// with `Retry-After`; the commands wait as long as it takes.
    static let writeWaitSeconds = 20

    /// `LIANDONG_DB_CONNECTIONS`: PostgreSQL connections per event loop (one loop per core),
    /// 8 by default; 1 under test, where hundreds of applications share one server.
    static func connectionsPerEventLoop(from get: (String) -> String?, testing: Bool = false) throws -> Int {
        guard let raw = get("LIANDONG_DB_CONNECTIONS")?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return testing ? 1 : 8 }
        guard let value = Int(raw), (1...64).contains(value) else {
            throw ConfigurationError(variable: "LIANDONG_DB_CONNECTIONS", message: "应为 1 到 64 之间的整数，而不是“\(raw)”")
        }
        return value
    }
}

/// Per-application state of the system.
struct LiandongState: Sendable {
    var database: DatabaseSetting
    /// The rule-set versions; the one in force on a date judges that date. Read afresh on each
    /// use: an administrator may publish a revision while the server runs.
    var ruleBook: RuleBook {
        get { rules.withLockedValue { $0 } }
        nonmutating set { rules.withLockedValue { $0 = newValue } }
    }
    private let rules: NIOLockedValueBox<RuleBook>
    /// The working calendar in force in this process (`WorkingCalendarStore`): loaded at start,
    /// replaced by an import here and read again at every judging round, so that other servers
    /// sharing the database follow within a round.
    var calendar: WorkingCalendar {
        get { workingCalendar.withLockedValue { $0 } }
        nonmutating set { workingCalendar.withLockedValue { $0 = newValue } }
    }
    private let workingCalendar = NIOLockedValueBox(WorkingCalendar.mondayToFriday)
    /// `LIANDONG_SECURE_COOKIES=1` when the server is reached over TLS (behind a proxy that does
    /// not send X-Forwarded-Proto).
    var secureCookies = false
    var security = SecurityPolicy()
    /// How TOTP secrets are kept: sealed with LIANDONG_TOTP_KEY when it is set, as is otherwise.
    var totpSecrets = TwoFactor.SecretBox(key: nil)
    /// The reverse proxies whose X-Forwarded-For is believed (`LIANDONG_TRUSTED_PROXIES`).
    var trustedProxies = TrustedProxies.none
    /// How long a request waits for its turn to write before it is answered 503.
    var writePatience: Duration = .seconds(DatabasePool.writeWaitSeconds)
    /// The time for sign-in and sessions; tests move it.
    let clock = LiandongClock()
    /// The register as pages read it, kept while its version in the database stands.
    let registerCache = RegisterCache()
    /// Where units' news goes beyond the system (SMS, 浙政钉), when a deployment plugs a channel in.
    var outbound: (any OutboundNotifier)?
    let loginLimiter: RateLimiter
    /// Codes (sign-in's second step, re-authentication) one address may try per minute; the
    /// account's lockout bounds the guesses at one account.
    let codeLimiter: RateLimiter
    /// Ingest requests one client may send per minute (`LIANDONG_INGEST_PER_MINUTE`, default 600:
    /// with batches of up to 10,000 events, far above what one 110 system sends).
    /// Refusals (403, 429, a CSRF failure) recorded in the audit log per address and minute;
    /// past that a flood of them is only logged, so that it cannot fill the log.
    let refusalAuditLimiter = RateLimiter(limit: AccessAudit.refusalsPerMinute, window: 60)
    let ingestLimiter = RateLimiter(limit: Environment.get("LIANDONG_INGEST_PER_MINUTE").flatMap(Int.init).map { max(1, $0) } ?? 600, window: 60)

    init(database: DatabaseSetting, ruleBook: RuleBook, secureCookies: Bool) {
        self.database = database
        self.rules = NIOLockedValueBox(ruleBook)
        self.secureCookies = secureCookies
        self.loginLimiter = RateLimiter(limit: SecurityPolicy().loginAttemptsPerMinute, window: 60)
        self.codeLimiter = RateLimiter(limit: SecurityPolicy().loginAttemptsPerMinute, window: 60)
    }
}

extension Application {
    private struct LiandongKey: StorageKey { typealias Value = LiandongState }

    var liandong: LiandongState {
        get {
            guard let state = storage[LiandongKey.self] else { fatalError("configure(_:) has not run") }
            return state
        }
        set { storage[LiandongKey.self] = newValue }
    }

    /// The rule set in force now.
    var currentRules: RuleSet { liandong.ruleBook.inForce(at: liandong.clock.now()) }

    /// The times a dispatch event or a check may bear now (mechanism start to a day ahead).
    var factDates: FactDates { FactDates(rules: liandong.ruleBook, now: liandong.clock.now()) }
}

extension Request {
    var currentRules: RuleSet { application.currentRules }
}

