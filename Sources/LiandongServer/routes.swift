import Fluent
import Vapor

/// Every route of the system, grouped by feature and by who may reach it.
func routes(_ app: Application) throws {
    let identified = app.grouped(PrincipalMiddleware(), RefusalAuditMiddleware())

    // Open to all: operations, the API description, signing in.
    app.get("health", use: SystemController.health)
    // The framework's own floor: a constant JSON answer, the yardstick of the load figures.
    app.get("ping") { _ in SystemController.Pong(status: "ok") }
    // Per route, failed sign-ins included: for a scraper's token or an administrator only.
    identified.get("metrics", use: SystemController.metrics)
    app.get("openapi.yaml", use: SystemController.openAPI)
    identified.get("login", use: AuthPages.loginForm)
    identified.post("login", use: AuthPages.login)
    // The second step of sign-in: a session past the password, waiting for the code.
    identified.get("login", "code", use: TwoFactorPages.codeForm)
    identified.post("login", "code", use: TwoFactorPages.verifyCode)

    // Pages: a signed-in person; forms carry the session's CSRF token.
    let pages = identified.grouped(RequireSignIn(), CSRFMiddleware())
    // Pages that only read: the same guards; they write nothing (a test checks every one).
    let read = pages
    pages.post("logout", use: AuthPages.logout)
    pages.get("account", "password", use: AuthPages.passwordForm)
    pages.post("account", "password", use: AuthPages.changePassword)
    pages.get("account", "totp", use: TwoFactorPages.enrolment)
    pages.post("account", "totp", use: TwoFactorPages.confirm)
    pages.post("account", "totp", "disable", use: TwoFactorPages.disable)
    pages.get("account", "reauth", use: TwoFactorPages.reauthForm)
    pages.post("account", "reauth", use: TwoFactorPages.reauthenticate)
    read.get(use: PagesController.home)
    pages.post("inbox", "read", use: PagesController.markInboxRead)
    read.get("units", use: RegisterPages.list)
    read.get("units", ":id", use: RegisterPages.show)
    pages.post("units", ":id", "contacts", use: RegisterPages.reportContacts)
    pages.get("units", "export", use: RegisterPages.export)
    read.get("rules", use: PagesController.rules)
    read.get("compliance", use: ComplianceControllers.page)
    pages.get("compliance", "export", use: ComplianceControllers.export)
    read.get("findings", use: FindingPages.list)
    pages.get("findings", "export", use: FindingPages.export)
    pages.post("findings", use: FindingPages.file)
    read.get("deductions", use: DeductionPages.list)
    pages.get("deductions", "export", use: DeductionPages.export)
    read.get("deductions", ":id", use: DeductionDetailPage.show)
    pages.post("deductions", "confirm", use: DeductionPages.confirmBatch)
    pages.post("deductions", ":id", "decision", use: DeductionPages.decide)
    pages.upload("deductions", ":id", "appeal", use: DeductionPages.appeal)
    read.get("rectifications", use: RectificationPages.list)
    pages.get("attachments", ":id", use: Attachments.download)
    pages.upload("rectifications", use: RectificationPages.act)
    read.get("notices", use: NoticePages.list)
    pages.post("notices", use: NoticePages.draft)
    read.get("notices", ":id", use: NoticePages.show)
    pages.post("notices", ":id", "publish", use: NoticePages.publish)
    pages.post("notices", ":id", "edit", use: NoticePages.edit)
    pages.get("notices", ":id", "export", use: NoticePages.export)
    read.get("assessment", use: AssessmentPages.page)
    pages.get("assessment", "export", use: AssessmentPages.export)
    pages.post("assessment", "close", use: AssessmentYearPages.close)
    pages.post("assessment", "reopen", use: AssessmentYearPages.reopen)

    // Inspections
    read.get("checks", "phone", use: InspectionPages.phone)
    pages.post("checks", "phone", "campaigns", use: InspectionPages.createCampaign)
    pages.get("checks", "phone", "call", use: InspectionPages.call)
    pages.post("checks", "phone", use: InspectionPages.recordCall)
    read.get("checks", "drills", use: InspectionPages.drills)
    pages.post("checks", "drills", use: InspectionPages.createDrill)
    read.get("checks", "drills", ":id", use: InspectionPages.drill)
    pages.post("checks", "drills", ":id", "arrive", use: InspectionPages.arrive)
    pages.post("checks", "drills", ":id", "assess", use: InspectionPages.assess)
    read.get("checks", "drills", ":id", "finish", use: InspectionPages.finishForm)
    pages.post("checks", "drills", ":id", "finish", use: InspectionPages.finish)
    read.get("checks", "drills", ":id", "amend", use: InspectionPages.amendForm)
    pages.post("checks", "drills", ":id", "amend", use: InspectionPages.amend)
    read.get("checks", "equipment", use: EquipmentPages.list)
    pages.post("checks", "equipment", use: EquipmentPages.change)
    read.get("supervision", use: InspectionPages.supervision)
    pages.post("supervision", "meetings", use: InspectionPages.recordMeeting)
    read.get("overview", use: OverviewPage.page)
    read.get("plans", use: PlanPages.page)
    pages.post("plans", use: PlanPages.save)
    pages.post("findings", "manual", use: FindingPages.fileManual)
    read.get("findings", "provincial", use: FindingPages.provincialForm)
    pages.post("findings", "provincial", use: FindingPages.fileProvincial)

    // Administration
    pages.get("admin", "accounts", use: AdminPages.accounts)
    pages.post("admin", "accounts", use: AdminPages.createAccount)
    pages.post("admin", "accounts", ":id", use: AdminPages.updateAccount)
    pages.get("admin", "tokens", use: AdminPages.tokens)
    pages.post("admin", "tokens", use: AdminPages.issueToken)
    pages.post("admin", "tokens", ":id", "revoke", use: AdminPages.revokeToken)
    pages.get("admin", "audit", use: AdminPages.audit)
    pages.get("admin", "rules", use: RuleSetPages.page)
    pages.post("admin", "rules", use: RuleSetPages.publish)
    pages.get("admin", "calendar", use: CalendarPages.page)
    pages.upload("admin", "calendar", use: CalendarPages.save)

    // JSON API, described by /openapi.yaml: a signed-in person or an API token.
    let api = identified.grouped("api", "v1").grouped(RequirePrincipal(), CSRFMiddleware())
    api.get("jurisdictions", use: RegisterAPI.jurisdictions)
    api.get("units", use: RegisterAPI.list)
    api.get("units", ":id", use: RegisterAPI.show)
    api.get("units", ":id", "contact-changes", use: RegisterAPI.history)
    api.post("units", ":id", "contact-changes", use: RegisterAPI.reportContacts)
    api.get("rules", use: RegisterAPI.rules)
    api.on(.POST, "dispatch-events", body: .collect(maxSize: "16mb"), use: DispatchAPI.ingest)
    api.get("findings", use: DispatchAPI.findings)
    api.get("compliance", use: ComplianceControllers.api)
}
