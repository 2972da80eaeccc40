import Fluent
import Foundation
import LiandongCore
import SQLKit
import Vapor

/// `liandong agencies list|set`: each jurisdiction's PLC, EMB and police, with their liaison
/// officers (issue 15 item 1; §一).
struct AgenciesCommand: AsyncCommandGroup {
    var help: String { "监督考核机关（各辖区政法委、应急管理局、公安局）：list 列出，set 登记联络员" }
    var commands: [String: any AnyAsyncCommand] { ["list": AgenciesListCommand(), "set": AgenciesSetCommand()] }
    var defaultCommand: (any AnyAsyncCommand)? { AgenciesListCommand() }
}

/// An agency as `agencies list --format json` prints it.
struct AgencyDTO: Content {
    struct Liaison: Content { var name: String?; var mobile: String? }
    var id: String
    var name: String
    /// `plc`, `emb`, `psb`.
    var kind: String
    var kindName: String
    /// The jurisdiction's name (`龙泉市`).
    var jurisdiction: String
    var jurisdictionId: String
    var liaison: Liaison?
    var phone: String?
    /// The jurisdictions whose units the agency runs the mechanism for.
    var serves: [String]

    enum CodingKeys: String, CodingKey { case id, name, kind, kindName, jurisdiction, jurisdictionId, liaison, phone, serves }

    /// Every key always present: no liaison registered is `null`, as `units list` prints it.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id); try c.encode(name, forKey: .name); try c.encode(kind, forKey: .kind)
        try c.encode(kindName, forKey: .kindName); try c.encode(jurisdiction, forKey: .jurisdiction)
        try c.encode(jurisdictionId, forKey: .jurisdictionId); try c.encode(liaison, forKey: .liaison)
        try c.encode(phone, forKey: .phone); try c.encode(serves, forKey: .serves)
    }

    init(_ a: SupervisingAgency, directory: AgencyDirectory) {
        id = a.id; name = a.name; kind = a.kind.rawValue; kindName = a.kind.shortName
        jurisdiction = Jurisdictions.named(a.jurisdictionID)?.name ?? a.jurisdictionID; jurisdictionId = a.jurisdictionID
        liaison = a.liaisonName == nil && a.liaisonMobile == nil ? nil : Liaison(name: a.liaisonName, mobile: a.liaisonMobile)
        phone = a.phone
        serves = directory.served(by: a.jurisdictionID).compactMap { Jurisdictions.named($0)?.name }
    }
}

struct AgenciesListCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "jurisdiction", short: "j", help: "辖区名称或代码，如 市本级、龙泉市") var jurisdiction: String?
        @Option(name: "format", short: "f", help: "table（默认）、json 或 csv") var format: String?
    }

    var help: String { "列出各辖区的政法委、应急管理局、公安局及其联络员" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let format = try OutputFormat.parse(signature.format)
        let directory = try await AgencyStore.load(on: app.db)
        var agencies = directory.agencies
        if let j = signature.jurisdiction {
            guard let found = Jurisdictions.find(j) else {
                throw CommandFailure("未知辖区“\(j)”；应为 \(Jurisdictions.all.map(\.name).joined(separator: "、")) 之一")
            }
            agencies = agencies.filter { $0.jurisdictionID == found.id }
        }
        let list = agencies.map { AgencyDTO($0, directory: directory) }
        try CommandOutput.emit(format, json: list, header: ["代码", "名称", "类别", "辖区", "联络员", "联系电话", "负责辖区"],
                               rows: list.map { [$0.id, $0.name, $0.kindName, $0.jurisdiction,
                                                [$0.liaison?.name, $0.liaison?.mobile].compactMap { $0 }.joined(separator: " "), $0.phone ?? "",
                                                $0.serves.joined(separator: "、")] },
                               footer: "共 \(list.count) 个机关", to: app.commandOutput)
    }
}

/// `liandong agencies set 龙泉市公安局 --liaison 姓名 --mobile 13900000000 --phone 0578-7123456`
struct AgenciesSetCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "agency", help: "机关名称或代码，如 龙泉市公安局、longquan-psb") var agency: String
        @Option(name: "liaison", help: "联络员姓名") var liaison: String?
        @Option(name: "mobile", help: "联络员手机") var mobile: String?
        @Option(name: "phone", help: "业务处室电话") var phone: String?
        @Option(name: "notice-prefix", help: "政法委通报文号的机关代字，如 龙应联通") var noticePrefix: String?
    }

    var help: String { "登记机关的联络员和联系电话" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let directory = try await AgencyStore.load(on: app.db)
        guard let agency = directory.find(signature.agency) else {
            throw CommandFailure("没有名为“\(signature.agency)”的机关；用 liandong agencies list 查看各机关的名称和代码")
        }
        try await AgencyStore.setContacts(agency.id, liaison: signature.liaison, mobile: signature.mobile, phone: signature.phone,
                                          noticePrefix: signature.noticePrefix, actor: .console(), on: app.db)
        app.commandOutput.write("已登记\(agency.name)的联络员\n")
    }
}
