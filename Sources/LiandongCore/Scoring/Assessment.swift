import Foundation

/// The annual comprehensive assessment's linkage sub-item (综合考核, 平安综治; main text §三.2):
/// each assessed entity starts from the base and loses its confirmed deductions of the period.
public enum Assessment {
    /// What is assessed: a county-level area or the development zone (its units' deductions roll
    /// up to it), or a ranked city department.
    public enum Kind: String, Sendable, Codable {
        case county
        case department
    }

    public struct Unit: Sendable, Hashable {
        public var id: Int
        public var name: String
        public var jurisdictionID: String
        public var ranked: Bool
        public init(id: Int, name: String, jurisdictionID: String, ranked: Bool) {
            self.id = id; self.name = name; self.jurisdictionID = jurisdictionID; self.ranked = ranked
        }
    }

    /// A confirmed deduction: against a unit, (D7) against a supervising agency, or (D6) against
    /// a jurisdiction's government.
    public struct Deduction: Sendable, Hashable {
        /// Nil for a total of several deductions (the read model keeps totals, not each one).
        public var id: Int?
        public var unitID: Int?
        public var agency: Agency?
        /// A `Jurisdiction.id` (D6 findings).
        public var jurisdictionID: String?
        public var points: Points
        /// How many deductions `points` adds up.
        public var count: Int
        public init(id: Int, unitID: Int?, agency: Agency?, jurisdictionID: String? = nil, points: Points) {
            self.id = id; self.unitID = unitID; self.agency = agency; self.jurisdictionID = jurisdictionID; self.points = points; self.count = 1
        }

        /// `count` deductions against the same subject, `points` in all.
        public init(total points: Points, count: Int, unitID: Int?, agency: Agency?, jurisdictionID: String?) {
            self.id = nil; self.unitID = unitID; self.agency = agency; self.jurisdictionID = jurisdictionID; self.points = points; self.count = count
        }
    }

    public struct Row: Sendable, Hashable, Codable {
        public var entity: String
        public var kind: Kind
        public var base: Points
        public var deductions: Points
        public var score: Points
        /// Competition ranking within the kind: equal scores share a rank (1, 2, 2, 4). Nil for
        /// entities not ranked.
        public var rank: Int?
        public var deductionCount: Int
        public var previousScore: Points?
        public var deductionIDs: [Int]
    }

    /// Ranked rows (counties first, then departments, each by rank) and the unranked units
    /// (companies, the military, vertically managed bodies: notified, not ranked).
    public static func compute(units: [Unit], jurisdictions: [Jurisdiction], deductions: [Deduction], base: Points,
                               previous: [String: Points] = [:]) -> (ranked: [Row], unranked: [Row]) {
        let unitByID = Dictionary(uniqueKeysWithValues: units.map { ($0.id, $0) })
        var byEntity: [String: (kind: Kind, ranked: Bool, ids: [Int], count: Int, total: Points)] = [:]
        // Every assessed entity appears, with or without deductions.
        for j in jurisdictions where j.kind != .city { byEntity[j.name] = (.county, true, [], 0, .zero) }
        for u in units where u.jurisdictionID == Jurisdictions.city.id { byEntity[u.name] = (.department, u.ranked, [], 0, .zero) }

        func entity(for d: Deduction) -> String? {
            if let id = d.unitID, let unit = unitByID[id] {
                // A county's units count against the county, ranked or not (§5); a city unit is
                // assessed itself, in the ranking or listed apart.
                if unit.jurisdictionID == Jurisdictions.city.id { return unit.name }
                return Jurisdictions.named(unit.jurisdictionID)?.name
            }
            // A D6 finding against a county or the zone counts against it, like its units' findings.
            // Against the city's government it is notified but ranks nothing: the city is not one
            // of the entities it assesses.
            if let code = d.jurisdictionID, let jurisdiction = Jurisdictions.named(code) {
                if jurisdiction.kind != .city { return jurisdiction.name }
                if byEntity[jurisdiction.name] == nil { byEntity[jurisdiction.name] = (.county, false, [], 0, .zero) }
                return jurisdiction.name
            }
            // A D7 finding against an agency counts against that agency as a department; the PLC
            // runs the assessment and does not rank itself: its own D7 deductions are listed apart.
            guard let agency = d.agency else { return nil }
            if byEntity[agency.name] == nil { byEntity[agency.name] = (.department, agency != .plc, [], 0, .zero) }
            return agency.name
        }
        for d in deductions {
            guard let name = entity(for: d) else { continue }
            guard var entry = byEntity[name] else { continue }
            if let id = d.id { entry.ids.append(id) }
            entry.count += d.count
            entry.total = entry.total + d.points
            byEntity[name] = entry
        }
        func row(_ name: String, _ v: (kind: Kind, ranked: Bool, ids: [Int], count: Int, total: Points)) -> Row {
            Row(entity: name, kind: v.kind, base: base, deductions: v.total, score: base - v.total, rank: nil,
                deductionCount: v.count, previousScore: previous[name], deductionIDs: v.ids.sorted())
        }
        var ranked: [Row] = []
        for kind in [Kind.county, .department] {
            var rows = byEntity.filter { $0.value.kind == kind && $0.value.ranked }.map { row($0.key, $0.value) }
            rows.sort { ($0.score, order($1.entity)) > ($1.score, order($0.entity)) }
            for index in rows.indices {
                rows[index].rank = index > 0 && rows[index].score == rows[index - 1].score ? rows[index - 1].rank : index + 1
            }
            ranked += rows
        }
        let unranked = byEntity.filter { !$0.value.ranked }.map { row($0.key, $0.value) }
            .sorted { ($0.deductions, order($1.entity)) > ($1.deductions, order($0.entity)) }
        return (ranked, unranked)
    }

    /// Ties are listed in the official order of jurisdictions and Annex 2 (a stable, familiar order).
    static func order(_ name: String) -> Int {
        if let j = Jurisdictions.all.firstIndex(where: { $0.name == name }) { return j }
        if let u = Annex2.cityUnits.firstIndex(where: { $0.name == name }) { return 100 + u }
        return 1000
    }
}
