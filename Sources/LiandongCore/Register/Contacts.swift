import Foundation

/// A Chinese telephone number as clerks write it: a mobile (`13812345678`, optionally `+86`),
/// a landline with area code (`0578-2123456`, `(0578)2123456`, `05782123456`), a local
/// 7–8 digit number (Lishui's area code 0578 implied), a service number (`12345`, `95598`),
/// each optionally with an extension (`转123`, `-123` after a full landline, `ext 123`).
public struct PhoneNumber: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The number normalised: digits with one hyphen after a landline's area code.
    public let value: String
    public let isMobile: Bool

    public init?(_ raw: String) {
        var text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        // Full-width digits and punctuation, as typed on Chinese input methods.
        text = text.applyingTransform(.fullwidthToHalfwidth, reverse: false) ?? text
        var ext = ""
        for marker in ["转", "ext.", "ext", "x", "#"] {
            if let r = text.range(of: marker, options: .caseInsensitive) {
                ext = text[r.upperBound...].filter { $0 != " " && $0 != "-" }
                text = String(text[..<r.lowerBound])
                guard !ext.isEmpty, ext.allSatisfy(\.isASCIIDigit), ext.count <= 6 else { return nil }
                break
            }
        }
        text = text.replacingOccurrences(of: "(", with: "").replacingOccurrences(of: ")", with: "-")
        text = text.replacingOccurrences(of: " ", with: "")
        if text.hasPrefix("+86") { text.removeFirst(3) } else if text.hasPrefix("0086") { text.removeFirst(4) }
        let groups = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard groups.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }), (1...3).contains(groups.count) else { return nil }
        var digits = groups.joined()
        // A trailing group after a complete landline is an extension (0578-2123456-801).
        if groups.count == 3 {
            guard ext.isEmpty, groups[0].hasPrefix("0") else { return nil }
            ext = groups[2]
            digits = groups[0] + groups[1]
        } else if groups.count == 2 && !groups[0].hasPrefix("0") {
            return nil
        }
        let mobile = digits.count == 11 && digits.hasPrefix("1") && "3456789".contains(digits[digits.index(after: digits.startIndex)])
        var normalised: String
        if mobile {
            normalised = digits
        } else if digits.hasPrefix("0") {
            // Area codes are 010, 02x (3 digits) or 0xxx (4 digits); subscriber numbers 7–8 digits.
            let areaLength = digits.hasPrefix("01") || digits.hasPrefix("02") ? 3 : 4
            let subscriber = digits.dropFirst(areaLength)
            guard (7...8).contains(subscriber.count) else { return nil }
            normalised = "\(digits.prefix(areaLength))-\(subscriber)"
        } else if (7...8).contains(digits.count), !digits.hasPrefix("1") {
            normalised = "0578-\(digits)"
        } else if (3...5).contains(digits.count) && (digits.hasPrefix("1") || digits.hasPrefix("9")) {
            normalised = digits // 110, 12345, 95598
        } else {
            return nil
        }
        if !ext.isEmpty {
            guard !mobile else { return nil }
            normalised += "转\(ext)"
        }
        self.value = normalised
        self.isMobile = mobile
    }

    public var description: String { value }

    /// Personal-information masking (个人信息保护法): `138****5678`; landlines keep area code and last 4.
    public static func mask(_ value: String) -> String {
        let chars = Array(value)
        guard chars.count >= 7 else { return String(repeating: "*", count: chars.count) }
        let head = value.hasPrefix("0") ? (chars.firstIndex(of: "-").map { $0 + 1 } ?? 4) : 3
        return String(chars[..<head]) + String(repeating: "*", count: max(0, chars.count - head - 4)) + String(chars[(chars.count - 4)...])
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

/// A unit's contact details: the 24-hour duty phone, the liaison (联络员) and an alternate.
/// Every change is reported (报备) and kept as history; this is one state of it.
public struct ContactDetails: Hashable, Sendable, Codable {
    public var dutyPhone: String?
    public var liaisonName: String?
    public var liaisonMobile: String?
    public var alternateName: String?
    public var alternateMobile: String?

    public init(dutyPhone: String? = nil, liaisonName: String? = nil, liaisonMobile: String? = nil,
                alternateName: String? = nil, alternateMobile: String? = nil) {
        self.dutyPhone = dutyPhone; self.liaisonName = liaisonName; self.liaisonMobile = liaisonMobile
        self.alternateName = alternateName; self.alternateMobile = alternateMobile
    }

    public enum Field: String, Sendable, CaseIterable, Codable {
        case dutyPhone = "duty_phone"
        case liaisonName = "liaison_name"
        case liaisonMobile = "liaison_mobile"
        case alternateName = "alternate_name"
        case alternateMobile = "alternate_mobile"

        public var label: String {
            switch self {
            case .dutyPhone: "值班电话"
            case .liaisonName: "联络员"
            case .liaisonMobile: "联络员手机"
            case .alternateName: "备用联络人"
            case .alternateMobile: "备用联络人手机"
            }
        }

        public var isPhone: Bool { self == .dutyPhone || self == .liaisonMobile || self == .alternateMobile }
    }

    public subscript(field: Field) -> String? {
        get {
            switch field {
            case .dutyPhone: dutyPhone
            case .liaisonName: liaisonName
            case .liaisonMobile: liaisonMobile
            case .alternateName: alternateName
            case .alternateMobile: alternateMobile
            }
        }
        set {
            switch field {
            case .dutyPhone: dutyPhone = newValue
            case .liaisonName: liaisonName = newValue
            case .liaisonMobile: liaisonMobile = newValue
            case .alternateName: alternateName = newValue
            case .alternateMobile: alternateMobile = newValue
            }
        }
    }

    public var isEmpty: Bool { Field.allCases.allSatisfy { self[$0] == nil } }

    /// The fields whose values differ from `other`.
    public func changedFields(from other: ContactDetails) -> [Field] {
        Field.allCases.filter { self[$0] != other[$0] }
    }

    /// A problem with one field, worded for the clerk.
    public struct Invalid: Error, Equatable, Sendable, CustomStringConvertible {
        public let field: Field
        public let message: String
        public var description: String { "\(field.label)：\(message)" }
    }

    /// Validates and normalises raw input: trims, treats blanks as absent, checks phones
    /// (the liaison's and alternate's numbers must be mobiles, reachable 24 hours), requires
    /// a name with a number and a number with a name.
    public static func validated(dutyPhone: String?, liaisonName: String?, liaisonMobile: String?,
                                 alternateName: String?, alternateMobile: String?) throws(Invalid) -> ContactDetails {
        func clean(_ s: String?) -> String? {
            guard let t = s?.trimmingCharacters(in: .whitespacesAndNewlines), !t.isEmpty else { return nil }
            return t
        }
        var result = ContactDetails()
        let raw: [Field: String?] = [.dutyPhone: dutyPhone, .liaisonName: liaisonName, .liaisonMobile: liaisonMobile,
                                      .alternateName: alternateName, .alternateMobile: alternateMobile]
        for field in Field.allCases {
            guard let value = clean(raw[field] ?? nil) else { continue }
            if field.isPhone {
                guard let phone = PhoneNumber(value) else {
                    throw Invalid(field: field, message: "“\(value)”不是有效的电话号码（如 13812345678 或 0578-2123456）")
                }
                if field != .dutyPhone && !phone.isMobile {
                    throw Invalid(field: field, message: "“\(value)”不是手机号码，联络员须留11位手机号码")
                }
                result[field] = phone.value
            } else {
                guard value.count <= 20 else { throw Invalid(field: field, message: "姓名不能超过20个字") }
                guard !value.contains(where: \.isASCIIDigit) else {
                    throw Invalid(field: field, message: "“\(value)”含有数字，请填写姓名")
                }
                result[field] = value
            }
        }
        if result.liaisonName != nil && result.liaisonMobile == nil {
            throw Invalid(field: .liaisonMobile, message: "填写了联络员，须同时填写其手机号码")
        }
        if result.liaisonMobile != nil && result.liaisonName == nil {
            throw Invalid(field: .liaisonName, message: "填写了联络员手机，须同时填写联络员姓名")
        }
        if result.alternateName != nil && result.alternateMobile == nil {
            throw Invalid(field: .alternateMobile, message: "填写了备用联络人，须同时填写其手机号码")
        }
        if result.alternateMobile != nil && result.alternateName == nil {
            throw Invalid(field: .alternateName, message: "填写了备用联络人手机，须同时填写其姓名")
        }
        return result
    }
}
