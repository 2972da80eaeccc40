/// A jurisdiction (辖区): the city level, one of the nine county-level areas, or the development zone.
public struct Jurisdiction: Hashable, Sendable, Codable, Identifiable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// 市本级: the city's own departments; each ranked unit is assessed on its own.
        case city
        /// 县(市、区): assessed as a whole; its units' deductions roll up to it.
        case county
        /// 开发区: assessed like a county.
        case zone
    }

    /// Stable code used in URLs, files and the database (pinyin).
    public let id: String
    /// The name as the notice writes it.
    public let name: String
    public let kind: Kind
    /// Main text §二: the police's monthly phone checks cover 市本级, 莲都区 and 开发区.
    public let phoneCheckScope: Bool

    public init(id: String, name: String, kind: Kind, phoneCheckScope: Bool) {
        self.id = id; self.name = name; self.kind = kind; self.phoneCheckScope = phoneCheckScope
    }

    /// The government a deduction against the jurisdiction itself names (D6, D11):
    /// `龙泉市人民政府`, `丽水开发区管委会`, `丽水市人民政府`.
    public var governmentName: String {
        switch kind {
        case .county: "\(name)人民政府"
        case .zone: "\(name)管委会"
        case .city: "丽水市人民政府"
        }
    }
}

public enum Jurisdictions {
    public static let city = Jurisdiction(id: "city", name: "市本级", kind: .city, phoneCheckScope: true)
    public static let zone = Jurisdiction(id: "kaifaqu", name: "丽水开发区", kind: .zone, phoneCheckScope: true)

    /// The eleven jurisdictions of Lishui, in the order official documents list them.
    public static let all: [Jurisdiction] = [
        city,
        Jurisdiction(id: "liandu", name: "莲都区", kind: .county, phoneCheckScope: true),
        Jurisdiction(id: "longquan", name: "龙泉市", kind: .county, phoneCheckScope: false),
        Jurisdiction(id: "qingtian", name: "青田县", kind: .county, phoneCheckScope: false),
        Jurisdiction(id: "jinyun", name: "缙云县", kind: .county, phoneCheckScope: false),
        Jurisdiction(id: "suichang", name: "遂昌县", kind: .county, phoneCheckScope: false),
        Jurisdiction(id: "songyang", name: "松阳县", kind: .county, phoneCheckScope: false),
        Jurisdiction(id: "yunhe", name: "云和县", kind: .county, phoneCheckScope: false),
        Jurisdiction(id: "qingyuan", name: "庆元县", kind: .county, phoneCheckScope: false),
        Jurisdiction(id: "jingning", name: "景宁畲族自治县", kind: .county, phoneCheckScope: false),
        zone,
    ]

    /// Other names clerks write for a jurisdiction in their spreadsheets.
    static let aliases: [String: String] = [
        "市级": "city", "丽水市": "city", "市直": "city",
        "开发区": "kaifaqu", "丽水经济技术开发区": "kaifaqu",
        "莲都": "liandu", "龙泉": "longquan", "青田": "qingtian", "缙云": "jinyun", "遂昌": "suichang",
        "松阳": "songyang", "云和": "yunhe", "庆元": "qingyuan", "景宁": "jingning", "景宁县": "jingning",
    ]

    /// Finds a jurisdiction by code, by name, or by one of the usual short names.
    public static func find(_ text: String) -> Jurisdiction? {
        let key = text.trimmingCharacters(in: .whitespaces)
        if let exact = all.first(where: { $0.id == key.lowercased() || $0.name == key }) { return exact }
        guard let code = aliases[key] else { return nil }
        return all.first { $0.id == code }
    }

    public static func named(_ id: String) -> Jurisdiction? { all.first { $0.id == id } }
}

/// The three supervising agencies (main text §一); each names one liaison officer.
public enum Agency: String, Sendable, Codable, CaseIterable {
    /// 市委政法委: publishes notices, carries results into the comprehensive assessment.
    case plc
    /// 市应急管理局: co-runs joint checks, co-decides deductions.
    case emb
    /// 市公安局: runs phone checks, co-runs joint checks, registers every check, co-decides deductions.
    case psb

    public var name: String {
        switch self {
        case .plc: "市委政法委"
        case .emb: "市应急管理局"
        case .psb: "市公安局"
        }
    }

    public var shortName: String {
        switch self {
        case .plc: "政法委"
        case .emb: "应急管理局"
        case .psb: "公安局"
        }
    }

    /// The two agencies whose joint confirmation makes a deduction take effect (§三.1).
    public static let confirming: [Agency] = [.emb, .psb]

    public static func find(_ text: String) -> Agency? {
        let key = text.trimmingCharacters(in: .whitespaces)
        return allCases.first { $0.rawValue == key.lowercased() || $0.name == key || $0.shortName == key }
    }
}
