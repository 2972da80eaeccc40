import Foundation
import Testing
@testable import LiandongCore

/// Issue 15 items 1 and 2: each jurisdiction's agencies, and who decides what.
@Suite("Supervising agencies per jurisdiction")
struct SupervisingAgencyTests {
    let directory = AgencyDirectory.seed
    func officer(_ role: Role, _ jurisdiction: String?) -> Principal {
        Principal(kind: .account(id: 1, role: role), name: "x", jurisdictionID: jurisdiction)
    }

    @Test func theCityAndEachCountyHaveTheirThreeAgencies() {
        #expect(directory.agencies.count == 30)
        #expect(directory.agencies.prefix(3).map(\.name) == ["市委政法委", "市应急管理局", "市公安局"])
        #expect(directory.agencies.prefix(3).map(\.id) == ["plc", "emb", "psb"])
        #expect(directory.agency(.psb, of: "longquan")?.name == "龙泉市公安局")
        #expect(directory.agency(.psb, of: "liandu")?.name == "丽水市公安局莲都区分局")
        #expect(directory.agency(.plc, of: "jingning")?.name == "景宁畲族自治县委政法委")
        #expect(directory.agency(.emb, of: "kaifaqu") == nil)
        #expect(directory.find("龙泉市应急管理局")?.id == "longquan-emb")
        #expect(directory.find("longquan-psb")?.name == "龙泉市公安局")
        #expect(directory.find("市公安局")?.id == "psb")
        #expect(directory.find("公安局")?.id == "psb")
        #expect(directory.find("省公安厅") == nil)
    }

    @Test func countyUnitsAreDecidedByTheCountyCityAndZoneUnitsByTheCity() {
        let county = directory.deciders(for: .unit(id: 100, name: "龙泉市水利局", jurisdictionID: "longquan"))
        #expect(county.map(\.id) == ["longquan-emb", "longquan-psb"])
        #expect(directory.deciders(for: .unit(id: 7, name: "市水利局", jurisdictionID: "city")).map(\.id) == ["emb", "psb"])
        #expect(directory.deciders(for: .unit(id: 8, name: "开发区建设局", jurisdictionID: "kaifaqu")).map(\.id) == ["emb", "psb"])
        #expect(directory.deciders(for: .government(jurisdictionID: "longquan")).map(\.id) == ["emb", "psb"])
        #expect(directory.served(by: "city") == ["city", "kaifaqu"])
        #expect(directory.served(by: "longquan") == ["longquan"])
    }

    @Test func theDevelopmentZoneUsesItsOwnAgenciesWhenConfigured() {
        let zone = AgencyDirectory(directory.agencies + [
            SupervisingAgency(id: "kaifaqu-emb", kind: .emb, jurisdictionID: "kaifaqu", name: "丽水开发区应急管理局"),
            SupervisingAgency(id: "kaifaqu-psb", kind: .psb, jurisdictionID: "kaifaqu", name: "丽水开发区公安分局"),
        ])
        #expect(zone.deciders(for: .unit(id: 8, name: "开发区建设局", jurisdictionID: "kaifaqu")).map(\.id) == ["kaifaqu-emb", "kaifaqu-psb"])
        #expect(zone.served(by: "city") == ["city"])
    }

    @Test func anAgencyDoesNotDecideAgainstItself() {
        var police = directory.agencies
        police[2].unitIDs = [1]
        let d = AgencyDirectory(police)
        // 市公安局 (unit 1) is a linkage unit: the EMB and the PLC decide.
        #expect(d.deciders(for: .unit(id: 1, name: "市公安局", jurisdictionID: "city")).map(\.id) == ["emb", "plc"])
        // 市应急管理局 by its name: the police and the PLC.
        #expect(d.deciders(for: .unit(id: 12, name: "市应急管理局", jurisdictionID: "city")).map(\.id) == ["psb", "plc"])
        // A county's police, imported as a county unit.
        #expect(d.deciders(for: .unit(id: 200, name: "龙泉市公安局", jurisdictionID: "longquan")).map(\.id) == ["longquan-emb", "longquan-plc"])
        // D7 against the city police.
        #expect(d.deciders(for: .agency(.psb)).map(\.id) == ["emb", "plc"])
        #expect(d.deciders(for: .agency(.plc)).map(\.id) == ["emb", "psb"])
    }

    @Test func anOfficerActsForTheirJurisdictionsAgency() {
        #expect(directory.acting(for: officer(.psb, nil))?.id == "psb")
        #expect(directory.acting(for: officer(.psb, "longquan"))?.id == "longquan-psb")
        #expect(directory.acting(for: officer(.liaison, nil)) == nil)
        #expect(directory.reaches(unitJurisdiction: "longquan", by: officer(.emb, nil)))
        #expect(!directory.reaches(unitJurisdiction: "city", by: officer(.emb, "longquan")))
        #expect(AgencyDirectory.refusal(deduction: 5, deciders: Array(directory.agencies[1...2]), actor: directory.agency(id: "longquan-emb"))
            == "扣分 5 由市应急管理局和市公安局共同决定，龙泉市应急管理局不能作此决定")
    }
}
