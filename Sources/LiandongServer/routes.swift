import Fluent
import Vapor

/// Every route of the system, grouped by feature.
func routes(_ app: Application) throws {
    // Operations
    app.get("health", use: SystemController.health)
    app.get("metrics", use: SystemController.metrics)
    app.get("openapi.yaml", use: SystemController.openAPI)

    // Pages
    app.get(use: PagesController.home)
    app.get("units", use: RegisterPages.list)
    app.get("units", ":id", use: RegisterPages.show)
    app.post("units", ":id", "contacts", use: RegisterPages.reportContacts)
    app.get("units", "export", use: RegisterPages.export)
    app.get("rules", use: PagesController.rules)

    // JSON API, described by /openapi.yaml
    let api = app.grouped("api", "v1")
    api.get("jurisdictions", use: RegisterAPI.jurisdictions)
    api.get("units", use: RegisterAPI.list)
    api.get("units", ":id", use: RegisterAPI.show)
    api.get("units", ":id", "contact-changes", use: RegisterAPI.history)
    api.post("units", ":id", "contact-changes", use: RegisterAPI.reportContacts)
    api.get("rules", use: RegisterAPI.rules)
}
