import Testing
@testable import LiandongCore

@Suite("Access policy")
struct AccessPolicyTests {
    func account(_ role: Role, unit: Int? = nil, jurisdiction: String? = nil) -> Principal {
        Principal(kind: .account(id: 1, role: role), name: role.rawValue, unitID: unit, jurisdictionID: jurisdiction)
    }

    @Test func liaisonsSeeAndReportForTheirOwnUnitOnly() {
        let liaison = account(.liaison, unit: 7)
        #expect(AccessPolicy.canView(unitID: 7, jurisdictionID: "city", by: liaison))
        #expect(!AccessPolicy.canView(unitID: 8, jurisdictionID: "city", by: liaison))
        #expect(AccessPolicy.canReportContacts(unitID: 7, jurisdictionID: "city", by: liaison))
        #expect(!AccessPolicy.canReportContacts(unitID: 8, jurisdictionID: "city", by: liaison))
        #expect(AccessPolicy.seesFullContacts(unitID: 7, by: liaison))
        #expect(!AccessPolicy.seesFullContacts(unitID: 8, by: liaison))
    }

    @Test func countyOfficersAreScopedToTheirJurisdiction() {
        let officer = account(.psb, jurisdiction: "longquan")
        #expect(AccessPolicy.canView(unitID: 1, jurisdictionID: "longquan", by: officer))
        #expect(!AccessPolicy.canView(unitID: 1, jurisdictionID: "city", by: officer))
        #expect(AccessPolicy.canList(jurisdictionID: "longquan", by: officer))
        #expect(!AccessPolicy.canList(jurisdictionID: nil, by: officer))
        #expect(!AccessPolicy.canReportContacts(unitID: 1, jurisdictionID: "city", by: officer))
    }

    @Test func onlyThePoliceAndAdministratorsSeeContactsInFull() {
        #expect(AccessPolicy.seesFullContacts(unitID: 1, by: account(.psb)))
        #expect(AccessPolicy.seesFullContacts(unitID: 1, by: account(.admin)))
        #expect(!AccessPolicy.seesFullContacts(unitID: 1, by: account(.emb)))
        #expect(!AccessPolicy.seesFullContacts(unitID: 1, by: account(.plc)))
        #expect(!AccessPolicy.seesFullContacts(unitID: 1, by: Principal(kind: .token(id: 1, scopes: [.registerRead]), name: "t")))
    }

    @Test func eachAgencyConfirmsForItselfOnly() {
        #expect(AccessPolicy.canConfirm(for: .emb, by: account(.emb)))
        #expect(!AccessPolicy.canConfirm(for: .psb, by: account(.emb)))
        #expect(AccessPolicy.canConfirm(for: .psb, by: account(.psb)))
        #expect(!AccessPolicy.canConfirm(for: .plc, by: account(.plc)))
        #expect(!AccessPolicy.canConfirm(for: .emb, by: account(.admin)))
        #expect(AccessPolicy.canPublishNotices(account(.plc)))
        #expect(!AccessPolicy.canPublishNotices(account(.psb)))
        #expect(AccessPolicy.canManageAccounts(account(.admin)))
        #expect(!AccessPolicy.canManageAccounts(account(.psb)))
    }

    @Test func tokensActByScope() {
        let reader = Principal(kind: .token(id: 1, scopes: [.registerRead]), name: "t")
        let ingest = Principal(kind: .token(id: 2, scopes: [.dispatchIngest]), name: "u")
        #expect(AccessPolicy.canView(unitID: 1, jurisdictionID: "city", by: reader))
        #expect(!AccessPolicy.canView(unitID: 1, jurisdictionID: "city", by: ingest))
        #expect(!AccessPolicy.canReportContacts(unitID: 1, jurisdictionID: "city", by: reader))
    }

    @Test func masking() {
        #expect(Masking.name("张三") == "张*")
        #expect(Masking.name("李小明") == "李**")
        #expect(Masking.name("欧阳小明") == "欧阳**")
        #expect(Masking.name("王") == "*")
        let masked = Masking.contacts(ContactDetails(dutyPhone: "0578-2123456", liaisonName: "张三", liaisonMobile: "13812345678"))
        #expect(masked.liaisonMobile == "138****5678")
        #expect(masked.dutyPhone == "0578-2123456")
    }
}

@Suite("Password policy")
struct PasswordPolicyTests {
    let policy = SecurityPolicy()

    @Test(arguments: [
        ("Abcdef1", false), ("Abcdefg1", true), ("abcdefg1", false), ("abcdef1!", true), ("ABCDEFGH", false),
        ("Zhang-San-2026", false), ("密码Abc12345", true),
    ])
    func strength(password: String, ok: Bool) {
        #expect((policy.problem(with: password, username: "zhang-san") == nil) == ok, "\(password)")
    }

    @Test func defaults() {
        #expect(policy.lockoutThreshold == 5)
        #expect(policy.lockoutMinutes == 15)
        #expect(policy.idleTimeoutMinutes == 30)
        #expect(policy.reauthenticationMinutes == 15)
        #expect(policy.recoveryCodeCount == 10)
    }

    @Test func thoseWhoDecideMustHaveASecondFactor() {
        for role in [Role.admin, .plc, .emb, .psb] { #expect(policy.requiresTwoFactor(role), "\(role)") }
        #expect(!policy.requiresTwoFactor(.liaison))
        var relaxed = policy
        relaxed.requireTwoFactor = false
        #expect(Role.allCases.allSatisfy { !relaxed.requiresTwoFactor($0) })
    }
}
