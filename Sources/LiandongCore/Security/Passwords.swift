/// Password and sign-in rules (等保2.0 identity requirements, OWASP ASVS level 2).
/// These are security settings of the deployment, not rules of the mechanism.
///
/// A new password (`problem(with:username:)`):
/// - is at most `maximumPasswordBytes` (72) bytes of UTF-8, since bcrypt reads no further and a
///   longer one would sign in with its first 72 bytes and any ending. Refused rather than
///   pre-hashed, so that every bcrypt hash already stored keeps working as it is;
/// - has at least `minimumPasswordLength` characters, a run of white space counting as one
///   (ASVS 4.0.3 V2.1.1, V2.1.3);
/// - uses at least `minimumDistinctCharacters` different characters;
/// - does not contain the username, in any case, nor with digits for letters (`zh@ngsan`);
/// - is not among the 10,000 most common passwords (`CommonPasswords`, from breach corpora;
///   ASVS 4.0.3 V2.1.7), nor one of them with digits or symbols added before or after, letters
///   written as digits or symbols (0 for o, 1 for i or l, 3 for e, 4 or @ for a, 5 or $ for s,
///   7 for t, ! for i) or the whole said twice: `Password1`, `Passw0rd`, `Qwerty123`, `P@ssw0rd!`
///   (`PasswordForms.forms`; forms shorter than 4 characters other than the password itself are
///   not compared);
/// - unless it is a passphrase, mixes `requiredCharacterClasses` of lower case, upper case, digits
///   and symbols. ASVS (4.0.3 V2.1.9, 5.0 V6.2.5) asks for no composition rules, but GB/T
///   22239-2019 (等保2.0, 安全计算环境·身份鉴别 a) asks that authentication information be
///   complex (具有复杂度要求), and assessors read that as mixing character classes; so a short
///   password must still mix them. A passphrase, `passphraseLength` (16) characters or more of
///   which at least half are letters (of any script, Chinese characters included), is complex by
///   its length and need not.
public struct SecurityPolicy: Sendable, Equatable {
    /// What bcrypt reads of a password: the first 72 bytes of its UTF-8 (about 24 Chinese
    /// characters). A new password may be no longer, and sign-in should refuse a longer one
    /// before verifying it (`fitsBcrypt`), since bcrypt would judge its first 72 bytes only.
    public static let maximumPasswordBytes = 72

    /// Characters a new password has at least; a run of white space counts as one.
    public var minimumPasswordLength = 10
    /// From this many characters (counted the same way), at least half of them letters, a
    /// password is a passphrase and need not mix character classes.
    public var passphraseLength = 16
    /// Of lower case, upper case, digits and symbols, a password that is not a passphrase uses
    /// at least this many (GB/T 22239-2019 complexity).
    public var requiredCharacterClasses = 3
    /// Different characters (ignoring case) a password uses at least: no `aaaaaaaaaaaaaaaa`.
    public var minimumDistinctCharacters = 5
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

    /// Whether bcrypt would read all of this password: at most `maximumPasswordBytes` of UTF-8.
    public static func fitsBcrypt(_ password: String) -> Bool {
        password.utf8.count <= maximumPasswordBytes
    }

    /// What is wrong with a new password, in words for the person choosing it; nil when fine.
    public func problem(with password: String, username: String) -> String? {
        if !Self.fitsBcrypt(password) {
            return "密码不能超过\(Self.maximumPasswordBytes)字节（约\(Self.maximumPasswordBytes / 3)个汉字）"
        }
        if PasswordForms.length(of: password) < minimumPasswordLength { return "密码至少\(minimumPasswordLength)位" }
        if Set(password.lowercased()).count < minimumDistinctCharacters {
            return "密码中至少要有\(minimumDistinctCharacters)个不同的字符"
        }
        if PasswordForms.contains(password, username: username) { return "密码不能包含用户名" }
        if PasswordForms.isCommon(password) {
            return "密码过于常见（是常用或已泄露的密码，或只是在其前后加了数字、符号，或以0代o、@代a之类），请换一个"
        }
        if !isPassphrase(password) && PasswordForms.characterClasses(of: password) < requiredCharacterClasses {
            return "密码须包含大写字母、小写字母、数字、符号中的至少\(ChineseNumeral.of(requiredCharacterClasses))类"
                + "（不少于\(passphraseLength)位、以字母或汉字为主的口令短语除外）"
        }
        return nil
    }

    /// Whether a password is long enough, and wordy enough, to need no mix of character classes.
    public func isPassphrase(_ password: String) -> Bool {
        let length = PasswordForms.length(of: password)
        return length >= passphraseLength && password.filter(\.isLetter).count * 2 >= length
    }

    /// The rules in one sentence, for the page where a password is chosen.
    public var passwordRuleDescription: String {
        "密码至少\(minimumPasswordLength)位，不超过\(Self.maximumPasswordBytes)字节（约\(Self.maximumPasswordBytes / 3)个汉字）；"
            + "须包含大写字母、小写字母、数字、符号中的至少\(ChineseNumeral.of(requiredCharacterClasses))类，"
            + "不少于\(passphraseLength)位、以字母或汉字为主的口令短语除外；"
            + "不能包含用户名，不能是常用或已泄露的密码及其简单变形。"
    }
}

/// How the policy looks at a password: its length, its character classes, and the forms in which
/// it is compared with the common list and the username.
enum PasswordForms {
    /// A form other than the password itself, shorter than this, is not compared with the list:
    /// the list holds single letters and words like `dog`, and `K9$2847561!` is not weak for
    /// having a `k` in it.
    static let shortestComparedForm = 4

    /// Characters, a run of white space counting as one.
    static func length(of password: String) -> Int {
        var count = 0, inSpace = false
        for character in password {
            if character.isWhitespace {
                if !inSpace { count += 1 }
                inSpace = true
            } else {
                count += 1
                inSpace = false
            }
        }
        return count
    }

    /// Of lower case, upper case, ASCII digits and symbols (neither letter nor number), how many.
    static func characterClasses(of password: String) -> Int {
        var classes = 0
        if password.contains(where: \.isLowercase) { classes += 1 }
        if password.contains(where: \.isUppercase) { classes += 1 }
        if password.contains(where: { $0.isASCII && $0.isNumber }) { classes += 1 }
        if password.contains(where: isSymbol) { classes += 1 }
        return classes
    }

    static func isSymbol(_ character: Character) -> Bool { !character.isLetter && !character.isNumber }

    /// Digits and symbols read as the letters they stand for; `1` is tried as both `i` and `l`.
    static let leet: [Character: Character] = ["0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i", "|": "l"]

    static func unleet(_ text: String, one: Character) -> String {
        String(text.map { $0 == "1" ? one : leet[$0] ?? $0 })
    }

    /// The password lower-cased, and as it reads with digits for letters.
    static func readings(of lowered: String) -> [String] {
        [lowered, unleet(lowered, one: "i"), unleet(lowered, one: "l")]
    }

    /// The shortest string the text is two or more copies of, if it is.
    static func repeatedUnit(of text: String) -> String? {
        let characters = Array(text), count = characters.count
        guard count >= 2 else { return nil }
        for size in 1...(count / 2) where count % size == 0 {
            let unit = characters[0..<size]
            if stride(from: size, to: count, by: size).allSatisfy({ characters[$0..<($0 + size)] == unit }) {
                return String(unit)
            }
        }
        return nil
    }

    /// The forms compared with the common list: the password lower-cased, and without the digits
    /// and symbols before it; the unit of either when it is that said twice or more; each of
    /// these cut short by any of the digits and symbols at its end (`qwerty123!`, `qwerty123`,
    /// `qwerty12`, `qwerty1`, `qwerty`); and each of those with digits and symbols read as letters.
    static func forms(of password: String) -> Set<String> {
        let lowered = password.lowercased()
        let core = String(lowered.drop(while: { !$0.isLetter }))
        var starts = [lowered, core]
        starts += starts.compactMap(repeatedUnit)
        var bases: [String] = []
        for text in starts {
            bases.append(text)
            var end = text.endIndex
            while end > text.startIndex {
                let previous = text.index(before: end)
                if text[previous].isLetter { break }
                end = previous
                bases.append(String(text[..<end]))
            }
        }
        return Set(bases.flatMap(readings)).filter { $0 == lowered || $0.count >= shortestComparedForm }
    }

    /// Whether the password, or one of its forms, is in the common list.
    static func isCommon(_ password: String) -> Bool {
        forms(of: password).contains { CommonPasswords.all.contains($0) }
    }

    /// Whether the password holds the username, ignoring case, as written or with digits read as letters.
    static func contains(_ password: String, username: String) -> Bool {
        let name = username.lowercased()
        guard !name.isEmpty else { return false }
        return readings(of: password.lowercased()).contains { $0.contains(name) }
    }
}
