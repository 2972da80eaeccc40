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
        // Issue 15: the PLC decides where the deduction is against the EMB or the police.
        #expect(AccessPolicy.canConfirm(for: .plc, by: account(.plc)))
        #expect(!AccessPolicy.canConfirm(for: .emb, by: account(.plc)))
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

    func refusal(_ password: String, username: String = "zhang-san") -> String? {
        policy.problem(with: password, username: username)
    }

    func isRefusedAsCommon(_ password: String, by policy: SecurityPolicy = SecurityPolicy()) -> Bool {
        policy.problem(with: password, username: "")?.contains("过于常见") == true
    }

    @Test(arguments: [
        ("Abcdef1", false), ("Abcdefg1", false), ("abcdef1!", false), ("abcdefgh12", false), ("ABCDEFGHJK", false),
        ("Abcdefgh1!", false), ("Kx7#mQ2$vL", true), ("Zhang-San-2026", false), ("密码Abc12345", true),
        ("Test-Pass-2026", true), ("Better-Pass-1", true),
    ])
    func strength(password: String, ok: Bool) {
        #expect((refusal(password) == nil) == ok, "\(password): \(refusal(password) ?? "accepted")")
    }

    @Test func tenCharactersAtLeast() {
        #expect(policy.minimumPasswordLength == 10)
        #expect(refusal("Kx7#mQ2$v") == "密码至少10位")
        #expect(refusal("Kx7#mQ2$vL") == nil)
        // A run of white space counts once (ASVS V2.1.3): padding with spaces does not make it longer.
        #expect(refusal("Kx7#m     Q2$") == "密码至少10位")
        #expect(refusal("Kx7#m   Q2$vL") == nil)
        // Characters, not bytes: ten with Chinese among them are enough.
        #expect(refusal("联动Kx7#mQ2$") == nil)
        var stricter = policy
        stricter.minimumPasswordLength = 12
        #expect(stricter.problem(with: "Kx7#mQ2$vL9", username: "") == "密码至少12位")
    }

    /// bcrypt reads 72 bytes: a password that is longer is refused, counted in UTF-8 bytes.
    @Test func seventyTwoBytesAtMost() {
        #expect(SecurityPolicy.maximumPasswordBytes == 72)
        let tooLong = "密码不能超过72字节（约24个汉字）"
        let random104 = "PtYgj-mU~h%Bel31iEl?2h^pC~h_~YgCf@rL1s=p_N@xn~_yVm?i^hA#-2O7~6UMFxFk_M+#R5Kjp&1vRt!1fj@_ORS#~6ilI8ihN_5K"
        #expect(random104.utf8.count == 104)
        let ascii72 = String(random104.prefix(72)), ascii73 = String(random104.prefix(73))
        #expect(ascii72.utf8.count == 72 && ascii73.utf8.count == 73)
        #expect(refusal(ascii72) == nil)
        #expect(refusal(ascii73) == tooLong)
        #expect(refusal(random104) == tooLong)
        // Chinese characters are three bytes each: 24 of them fill the limit exactly.
        let chinese24 = "我们的联动系统很安全也很好用的啊请大家放心使用吧"
        #expect(chinese24.count == 24 && chinese24.utf8.count == 72)
        #expect(refusal(chinese24) == nil)
        #expect(refusal(chinese24 + "a") == tooLong)
        #expect(refusal(chinese24 + "啊") == tooLong)
        // Mixed: 23 Chinese characters (69 bytes) and three ASCII ones is 72; one more is 73.
        let mixed72 = String(chinese24.prefix(23)) + "Ab1"
        #expect(mixed72.utf8.count == 72)
        #expect(refusal(mixed72) == nil)
        #expect(refusal(mixed72 + "!") == tooLong)
        #expect(SecurityPolicy.fitsBcrypt(ascii72) && SecurityPolicy.fitsBcrypt(chinese24) && SecurityPolicy.fitsBcrypt(mixed72))
        #expect(!SecurityPolicy.fitsBcrypt(ascii73) && !SecurityPolicy.fitsBcrypt(mixed72 + "!") && !SecurityPolicy.fitsBcrypt(random104))
    }

    @Test func theCommonListIsTenThousandLowerCasePasswords() {
        #expect(CommonPasswords.all.count == 10_000)
        #expect(CommonPasswords.all.allSatisfy { !$0.isEmpty && $0 == $0.lowercased() && !$0.contains(where: \.isWhitespace) })
        for word in ["123456", "password", "qwerty", "password1", "qwerty123", "passw0rd", "p@ssw0rd", "iloveyou", "woaini1314", "1qaz2wsx"] {
            #expect(CommonPasswords.all.contains(word), "\(word)")
        }
        // Quotes, #s and commas survive the raw string literal the list is written in.
        for word in [#""zxcvbnm,./""#, "pe#5gz29ptzmse", "!ab#cd$", "fu7u4a#$$$"] {
            #expect(CommonPasswords.all.contains(word), "\(word)")
        }
        // The first line and the last are whole.
        #expect(CommonPasswords.text.hasPrefix("123456\n123456789\nqwerty\npassword\n"))
        #expect(CommonPasswords.text.hasSuffix("\ndesmond1"))
    }

    @Test(arguments: ["Qwertyuiop", "1q2w3e4r5T", "Basketball", "1qaz2wsx3EDC", "Yuantuo2012", "Password12", "ILOVEYOU123", "Welcome123"])
    func listedPasswordsAreRefusedInAnyCase(password: String) {
        #expect(CommonPasswords.all.contains(password.lowercased()))
        #expect(isRefusedAsCommon(password), "\(password): \(refusal(password) ?? "accepted")")
    }

    /// The ones from the report, refused by the list even where the minimum length would let them by.
    @Test(arguments: ["Password1", "Passw0rd", "Qwerty123", "P@ssw0rd!", "P@ssw0rd", "Pa$$word1", "Dr4g0n!!", "1qaz2wsx!!"])
    func commonPasswordsAndTheirLeetFormsAreRefused(password: String) {
        var shorter = policy
        shorter.minimumPasswordLength = 8
        #expect(isRefusedAsCommon(password, by: shorter), "\(password): \(shorter.problem(with: password, username: "") ?? "accepted")")
        #expect(refusal(password) != nil)
    }

    @Test(arguments: [
        "Password123!", "P@ssw0rd2026", "Qwerty12345!", "!!Iloveyou2026", "2026#Dragon", "Dr4g0n-2026!", "Abc1234567!",
        "Welcome@123", "Passw0rd!!", "PasswordPassword", "P@ssw0rdp@ssw0rd", "Sunshine_2026", "#1Monkey!!",
    ])
    func commonPasswordsWithDigitsSymbolsAndSubstitutionsAreRefused(password: String) {
        #expect(isRefusedAsCommon(password), "\(password): \(refusal(password) ?? "accepted")")
    }

    /// Every listed password that starts and ends with a letter, capitalised and with digits and
    /// symbols after it, or before and after it.
    @Test func everyListedWordWithDigitsAndSymbolsAddedIsRefused() {
        let words = CommonPasswords.all.filter { $0.count >= PasswordForms.shortestComparedForm && $0.first!.isLetter && $0.last!.isLetter }
        #expect(words.count > 5_000)
        let missed = words.filter { !PasswordForms.isCommon($0.prefix(1).uppercased() + $0.dropFirst() + "2026!") }
        #expect(missed.isEmpty, "\(missed.prefix(10))")
        let missedAround = words.filter { !PasswordForms.isCommon("!1" + $0.uppercased() + "123#") }
        #expect(missedAround.isEmpty, "\(missedAround.prefix(10))")
    }

    @Test func aGoodPassphraseIsAccepted() {
        #expect(policy.passphraseLength == 16)
        for phrase in ["correct horse battery staple", "correcthorsebatterystaple", "quietriverstones", "我们的联动系统很安全也很好用的啊"] {
            #expect(policy.isPassphrase(phrase), "\(phrase)")
            #expect(refusal(phrase) == nil, "\(phrase): \(refusal(phrase) ?? "")")
        }
        // Fifteen characters are not a passphrase: one class is not enough.
        #expect(!policy.isPassphrase("quietriverstone"))
        #expect(refusal("quietriverstone")?.hasPrefix("密码须包含大写字母、小写字母、数字、符号中的至少三类") == true)
        // Sixteen digits are long, but not a passphrase: mostly letters it must be.
        #expect(!policy.isPassphrase("8302749165027384"))
        #expect(refusal("8302749165027384") != nil)
        // A passphrase is still checked against the list and the username.
        #expect(isRefusedAsCommon("PasswordPassword"))
        #expect(refusal("zhang-san likes long walks") == "密码不能包含用户名")
        // Nor does length excuse repeating a few characters.
        #expect(refusal("aaaaaaaaaaaaaaaa") == "密码中至少要有5个不同的字符")
        #expect(refusal("abcdabcdabcdabcd") == "密码中至少要有5个不同的字符")
        #expect(refusal("Aa1!Aa1!Aa") == "密码中至少要有5个不同的字符")
    }

    @Test func theUsernameInsideIsRefused() {
        for password in ["Zhang-San-2026", "2026!ZHANG-SAN", "My-zhang-san-9x", "Zh4ng-S@n-2026!"] {
            #expect(refusal(password) == "密码不能包含用户名", "\(password)")
        }
        #expect(refusal("Zhang-San-2026", username: "li-si") == nil)
        #expect(refusal("Lishui-Guanli-2026", username: "admin") == nil)
        #expect(refusal("Admin-Lishui-2026", username: "admin") == "密码不能包含用户名")
    }

    @Test(arguments: ["Xk9#mP2$vL7q", "q7V!rT2m@Lw9", "Hs4=Ny8%Wd2+", "tB6&zR3^kQ8~", "K9$2847561!x"])
    func aStrongRandomPasswordIsAccepted(password: String) {
        #expect(refusal(password) == nil, "\(password): \(refusal(password) ?? "")")
        #expect(!PasswordForms.isCommon(password))
    }

    @Test func messagesUseFullWidthPunctuation() {
        let messages = ["short", String(repeating: "Ab1!", count: 19), "aaaaaaaaaaaa", "Zhang-San-2026", "Password123!", "abcdefghjk"]
            .compactMap { refusal($0) } + [policy.passwordRuleDescription]
        #expect(messages.count == 7)
        for message in messages {
            #expect(!message.contains(where: { ",;:()".contains($0) }), "\(message)")
        }
    }

    @Test func theRuleDescriptionFollowsTheSettings() {
        let text = policy.passwordRuleDescription
        for part in ["至少10位", "不超过72字节（约24个汉字）", "至少三类", "不少于16位", "不能包含用户名", "常用或已泄露"] {
            #expect(text.contains(part), "\(part)")
        }
        var other = policy
        other.minimumPasswordLength = 12
        other.requiredCharacterClasses = 2
        #expect(other.passwordRuleDescription.contains("至少12位") && other.passwordRuleDescription.contains("至少二类"))
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
