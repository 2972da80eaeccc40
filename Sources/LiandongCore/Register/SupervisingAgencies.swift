/// One jurisdiction's supervising agency: 龙泉市公安局 is the police (`psb`) of 龙泉市.
///
/// The notice (丽应急〔2020〕62号) is addressed to the county PLCs, EMBs and police bureaus as well
/// as the city's, to carry out: each county's three agencies run the mechanism for the county's
/// units, the city's for the city-level units and the development zone's (which has none of its
/// own unless configured), and the city's supervise all.
public struct SupervisingAgency: Hashable, Sendable, Codable, Identifiable {
    /// Stable code: `plc`, `emb`, `psb` for the city's (the codes the system has always stored
    /// for them), `longquan-psb` for a county's.
    public var id: String
    public var kind: Agency
    /// The jurisdiction the agency belongs to (`city`, `longquan`…).
    public var jurisdictionID: String
    public var name: String
    /// §一: 三个部门有关业务处室各指定一名联络员.
    public var liaisonName: String?
    public var liaisonMobile: String?
    /// The office line of the liaison's division.
    public var phone: String?
    /// Linkage units that are this agency or part of its bureau (市公安局 is a linkage unit too).
    public var unitIDs: Set<Int>
    /// A PLC's document-number prefix (发文机关代字), when set; `noticePrefix` gives the default.
    public var prefix: String?

    public init(id: String, kind: Agency, jurisdictionID: String, name: String, liaisonName: String? = nil,
                liaisonMobile: String? = nil, phone: String? = nil, unitIDs: Set<Int> = [], prefix: String? = nil) {
        self.id = id; self.kind = kind; self.jurisdictionID = jurisdictionID; self.name = name
        self.liaisonName = liaisonName; self.liaisonMobile = liaisonMobile; self.phone = phone; self.unitIDs = unitIDs
        self.prefix = prefix
    }

    /// A PLC's notices: the prefix of their numbers (`丽应联通〔2026〕3号`), its own when set, else
    /// the city's `丽应联通` and a county's short name with `应联通` (`龙泉应联通`).
    public var noticePrefix: String {
        if let prefix, !prefix.isEmpty { return prefix }
        guard let j = Jurisdictions.named(jurisdictionID), j.kind != .city else { return "丽应联通" }
        return Self.shortName(of: j) + "应联通"
    }

    /// The name a PLC signs its notices with (GB/T 9704 发文机关署名): 中共丽水市委政法委员会,
    /// 中共龙泉市委政法委员会.
    public var signature: String {
        guard let j = Jurisdictions.named(jurisdictionID), j.kind != .city else { return kind == .plc ? "中共丽水市委政法委员会" : name }
        return kind == .plc ? "中共\(j.name)委政法委员会" : name
    }

    /// The red mark at the head of the publisher's notices: 丽水市社会应急联动工作通报, 龙泉市社会应急联动工作通报.
    public var issuerMark: String {
        guard let j = Jurisdictions.named(jurisdictionID), j.kind != .city else { return "丽水市社会应急联动工作通报" }
        return "\(j.name)社会应急联动工作通报"
    }

    /// `龙泉` for 龙泉市, `景宁` for 景宁畲族自治县.
    static func shortName(of j: Jurisdiction) -> String {
        if j.name.hasSuffix("畲族自治县") { return String(j.name.dropLast(5)) }
        return String(j.name.dropLast())
    }

    /// The code an agency of a kind in a jurisdiction is seeded with.
    public static func code(_ kind: Agency, in jurisdictionID: String) -> String {
        jurisdictionID == Jurisdictions.city.id ? kind.rawValue : "\(jurisdictionID)-\(kind.rawValue)"
    }

    /// The agency's name as official documents write it: the city's as the notice does
    /// (市委政法委, 市应急管理局, 市公安局), a county's with the county's name (龙泉市应急管理局);
    /// 莲都区's police is a branch of the city's (丽水市公安局莲都区分局).
    public static func officialName(_ kind: Agency, of j: Jurisdiction) -> String {
        switch (j.kind, kind) {
        case (.city, _): kind.name
        case (_, .plc): "\(j.name)委政法委"
        case (_, .emb): "\(j.name)应急管理局"
        case (_, .psb): j.id == "liandu" ? "丽水市公安局莲都区分局" : "\(j.name)公安局"
        }
    }
}

/// What a deduction is against, for deciding who decides it.
public enum DecisionSubject: Sendable, Equatable {
    /// A linkage unit of a jurisdiction.
    case unit(id: Int, name: String, jurisdictionID: String)
    /// A county government (or the development zone's): D6, D11.
    case government(jurisdictionID: String)
    /// One of the city's supervising agencies (D7: a supervision duty missed).
    case agency(Agency)
}

/// The register of supervising agencies, and the rules of who acts where (issue 15; mechanism §6).
public struct AgencyDirectory: Sendable {
    public let agencies: [SupervisingAgency]

    public init(_ agencies: [SupervisingAgency]) { self.agencies = agencies }

    /// Lishui's: the city's three and each county's three, in the order documents list the
    /// jurisdictions. The development zone has none of its own: the city's act for it.
    public static let seed = AgencyDirectory(Jurisdictions.all.filter { $0.kind != .zone }.flatMap { j in
        Agency.allCases.map { kind in
            SupervisingAgency(id: SupervisingAgency.code(kind, in: j.id), kind: kind, jurisdictionID: j.id,
                              name: SupervisingAgency.officialName(kind, of: j))
        }
    })

    /// By code or by name (`longquan-psb`, `龙泉市公安局`); a kind alone (`psb`, `公安局`,
    /// `市公安局`) is the city's.
    public func find(_ text: String) -> SupervisingAgency? {
        let key = text.trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty else { return nil }
        if let exact = agencies.first(where: { $0.id == key.lowercased() || $0.name == key }) { return exact }
        if let kind = Agency.find(key) { return agency(kind, of: Jurisdictions.city.id) }
        return nil
    }

    public func agency(id: String) -> SupervisingAgency? { agencies.first { $0.id == id } }

    /// The agency of a kind that belongs to a jurisdiction, when it has one.
    public func agency(_ kind: Agency, of jurisdictionID: String) -> SupervisingAgency? {
        agencies.first { $0.kind == kind && $0.jurisdictionID == jurisdictionID }
    }

    /// The jurisdiction whose agencies run the mechanism for units of `jurisdictionID`: a county's
    /// own; the development zone's own when both its EMB and police are registered, else the city's.
    public func seat(for jurisdictionID: String) -> String {
        let own = Agency.confirming.allSatisfy { agency($0, of: jurisdictionID) != nil }
        return own && jurisdictionID != Jurisdictions.city.id ? jurisdictionID : Jurisdictions.city.id
    }

    /// The jurisdictions whose units an agency's seat serves: its own, and for the city the
    /// development zone while the zone has no agencies of its own.
    public func served(by seat: String) -> [String] {
        Jurisdictions.all.map(\.id).filter { self.seat(for: $0) == seat }
    }

    /// The agency an officer acts for: their role's agency in their jurisdiction (none: the city's).
    public func acting(for principal: Principal) -> SupervisingAgency? {
        guard let kind = principal.role?.agency else { return nil }
        return agency(kind, of: principal.jurisdictionID ?? Jurisdictions.city.id)
    }

    /// The jurisdiction whose agencies decide deductions against the subject: a unit's seat; the
    /// city for a county government (a county's agencies do not decide against their own
    /// government) and for the city's agencies.
    public func decidingSeat(for subject: DecisionSubject) -> String {
        switch subject {
        case .unit(_, _, let j): seat(for: j)
        case .government, .agency: Jurisdictions.city.id
        }
    }

    /// Whether the subject is the agency itself, or a unit of its bureau.
    public func isSubject(_ subject: DecisionSubject, _ a: SupervisingAgency) -> Bool {
        switch subject {
        case .unit(let id, let name, let j): a.unitIDs.contains(id) || (a.name == name && a.jurisdictionID == j)
        case .government: false
        case .agency(let kind): a.kind == kind && a.jurisdictionID == Jurisdictions.city.id
        }
    }

    /// The two agencies that decide a deduction, an appeal on it or its rejection (§三.1): the EMB
    /// and the police of the deciding seat; when the subject is one of them, the other and the PLC
    /// of the same jurisdiction (an agency does not decide a deduction against itself).
    public func deciders(for subject: DecisionSubject) -> [SupervisingAgency] {
        let seat = decidingSeat(for: subject)
        let pair = Agency.confirming.compactMap { agency($0, of: seat) ?? agency($0, of: Jurisdictions.city.id) }
        guard let conflicted = pair.firstIndex(where: { isSubject(subject, $0) }) else { return pair }
        let plc = agency(.plc, of: seat) ?? agency(.plc, of: Jurisdictions.city.id)
        return pair.enumerated().filter { $0.offset != conflicted }.map(\.element) + (plc.map { [$0] } ?? [])
    }

    /// Whether an officer's agency may see and act on a unit at all: the city's (officers with no
    /// jurisdiction) see everything, a county's only its own units (as `AccessPolicy.canView`).
    public func reaches(unitJurisdiction: String, by principal: Principal) -> Bool {
        principal.jurisdictionID.map { $0 == unitJurisdiction } ?? true
    }

    /// The refusal for someone who is not one of the deciders, naming those who are.
    public static func refusal(deduction id: Int, deciders: [SupervisingAgency], actor: SupervisingAgency?) -> String {
        let names = deciders.map(\.name).joined(separator: "和")
        return "扣分 \(id) 由\(names)共同决定" + (actor.map { "，\($0.name)不能作此决定" } ?? "")
    }
}
