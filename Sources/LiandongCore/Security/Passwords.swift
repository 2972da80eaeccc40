/// Password and sign-in rules (等保2.0 identity requirements, OWASP ASVS level 2).
/// These are security settings of the deployment, not rules of the mechanism.
public struct SecurityPolicy: Sendable, Equatable {
    public var minimumPasswordLength = 8
    /// Of lower case, upper case, digits and symbols, a password uses at least this many.
    public var requiredCharacterClasses = 3
    /// Failed logins in a row that lock an account.
    public var lockoutThreshold = 5
    public var lockoutMinutes = 15
    /// A session unused this long is over.
    public var idleTimeoutMinutes = 30
    /// Login attempts one address may make per minute.
    public var loginAttemptsPerMinute = 10

    public init() {}

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
