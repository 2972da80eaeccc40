/// Password and sign-in rules (等保2.0 identity requirements, OWASP ASVS level 2).
/// These are security settings of the deployment, not rules of the mechanism.
public struct SecurityPolicy: Sendable, Equatable {
    public var minimumPasswordLength = 8
    /// Of lower case, upper case, digits and symbols, a password uses at least this many.
    public var requiredCharacterClasses = 3
    /// Failed logins in a row, for one account from one address, that pause sign-in to that
    /// account from that address (the owner elsewhere is not affected); also wrong second-factor
    /// codes in a row that lock the account (only someone with the password can make those).
    public var lockoutThreshold = 5
    public var lockoutMinutes = 15
    /// Failed logins in a row for one account, from any addresses, that lock the account itself
    /// and tell the administrators: many times the per-address threshold, so that no one stranger
    /// can lock an officer out, while a spread guessing attack still stops (ten times the
    /// per-address threshold, however that is set).
    public var accountLockoutThreshold = 50
    /// A session unused this long is over.
    public var idleTimeoutMinutes = 30
    /// Login attempts one address may make per minute.
    public var loginAttemptsPerMinute = 10

    /// Whether the roles below must enrol a second factor (TOTP) before using the system
    /// (`LIANDONG_REQUIRE_TOTP`). Accounts that have enrolled always give a code, whatever this says.
    public var requireTwoFactor = true
    /// Those who decide: administrators, the officers who confirm deductions (EMB, police) and
    /// those who publish notices (PLC). A liaison may enrol but need not.
    public var twoFactorRoles: Set<Role> = [.admin, .plc, .emb, .psb]
    /// Time steps of clock drift accepted either side of the current one (RFC 6238 §5.2: at most one).
    public var totpDriftSteps = 1
    /// Recovery codes issued at enrolment, each good once.
    public var recoveryCodeCount = 10
    /// After the password, the code must follow within this time or sign-in starts over.
    public var secondFactorMinutes = 5
    /// Confirming or rejecting a deduction and publishing a notice ask for the password (and a
    /// code) again when the session's last authentication is older than this.
    public var reauthenticationMinutes = 15

    public init() {}

    /// Whether an account of this role must have a second factor.
    public func requiresTwoFactor(_ role: Role) -> Bool {
        requireTwoFactor && twoFactorRoles.contains(role)
    }

    /// What is wrong with a new password, in words for the person choosing it; nil when fine.
    public func problem(with password: String, username: String) -> String? {
        if password.count < minimumPasswordLength { return "密码至少\(minimumPasswordLength)位" }
        var classes = 0
        if password.contains(where: \.isLowercase) { classes += 1 }
        if password.contains(where: \.isUppercase) { classes += 1 }
        if password.contains(where: { $0.isASCII && $0.isNumber }) { classes += 1 }
        if password.contains(where: { !$0.isLetter && !$0.isNumber }) { classes += 1 }
        if classes < requiredCharacterClasses {
            return "密码须包含大写字母、小写字母、数字、符号中的至少\(ChineseNumeral.of(requiredCharacterClasses))类"
        }
        if !username.isEmpty && password.lowercased().contains(username.lowercased()) { return "密码不能包含用户名" }
        return nil
    }
}
