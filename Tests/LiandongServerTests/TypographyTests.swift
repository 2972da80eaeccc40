import Foundation
import Testing

/// GB/T 15834: Chinese text takes full-width punctuation (，：；（）？！). This guard reads what
/// the system writes in Chinese at its source: the Leaf templates (text and attribute values,
/// not Leaf tags) and the Swift string literals (not code, comments or interpolations), and
/// fails on an ASCII , ; : ( ) ? ! touching a Chinese character.
@Suite("Typography: full-width punctuation in Chinese text")
struct TypographyTests {
    /// Reviewed exceptions: register data kept exactly as the units are registered (Annex 2
    /// writes these two names with ASCII parentheses, and the register matches names), and the
    /// shape of a PostgreSQL address, which is typed as it stands.
    static let allowed: Set<String> = ["市自然资源和规划局(市林业局)", "市法院(执行局)", "postgres://用户:密码@主机:端口/数据库"]

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func sources(ending suffix: String) throws -> [URL] {
        let base = root.appendingPathComponent("Sources")
        guard let walk = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { return [] }
        return walk.compactMap { $0 as? URL }.filter { $0.path.hasSuffix(suffix) }.sorted { $0.path < $1.path }
    }

    static func isHan(_ c: Character) -> Bool {
        c.unicodeScalars.contains { (0x3400...0x9FFF).contains($0.value) }
    }

    /// Every ASCII mark touching a Han character, with a little context, minus the allowed texts.
    static func offences(in text: String) -> [String] {
        var cleaned = text
        for a in allowed { cleaned = cleaned.replacingOccurrences(of: a, with: "※") }
        let chars = Array(cleaned)
        var found: [String] = []
        for (i, c) in chars.enumerated() where ",;:()?!".contains(c) {
            let left = i > 0 ? chars[i - 1] : " ", right = i + 1 < chars.count ? chars[i + 1] : " "
            if isHan(left) || isHan(right) {
                found.append(String(chars[max(0, i - 8)..<min(chars.count, i + 9)]))
            }
        }
        return found
    }

    /// The text of each Swift string literal in `source`, interpolations replaced by "\u{1}".
    static func swiftLiterals(_ source: String) -> [String] {
        let s = Array(source)
        var literals: [String] = []
        var i = 0
        func literal(at start: Int) -> (String, Int) {
            let multi = start + 2 < s.count && s[start + 1] == "\"" && s[start + 2] == "\""
            var j = start + (multi ? 3 : 1)
            var text = ""
            while j < s.count {
                if multi ? (j + 2 < s.count && s[j] == "\"" && s[j + 1] == "\"" && s[j + 2] == "\"") : s[j] == "\"" {
                    return (text, j + (multi ? 3 : 1))
                }
                if s[j] == "\\", j + 1 < s.count {
                    if s[j + 1] == "(" {
                        var depth = 1
                        j += 2
                        while j < s.count, depth > 0 {
                            if s[j] == "\"" { j = literal(at: j).1; continue }
                            if s[j] == "(" { depth += 1 } else if s[j] == ")" { depth -= 1 }
                            j += 1
                        }
                    } else {
                        j += 2
                    }
                    text.append("\u{1}")
                    continue
                }
                text.append(s[j])
                j += 1
            }
            return (text, j)
        }
        while i < s.count {
            if s[i] == "/", i + 1 < s.count, s[i + 1] == "/" {
                while i < s.count, s[i] != "\n" { i += 1 }
            } else if s[i] == "/", i + 1 < s.count, s[i + 1] == "*" {
                i += 2
                while i + 1 < s.count, !(s[i] == "*" && s[i + 1] == "/") { i += 1 }
                i += 2
            } else if s[i] == "#", i + 1 < s.count, s[i + 1] == "\"" {
                // raw string: not Chinese text in this code base; skip to its end
                i += 2
                while i + 1 < s.count, !(s[i] == "\"" && s[i + 1] == "#") { i += 1 }
                i += 2
            } else if s[i] == "\"" {
                let (text, next) = literal(at: i)
                literals.append(text)
                i = next
            } else {
                i += 1
            }
        }
        return literals
    }

    /// A Leaf template's text with its tags (`#if(...):`, `#(x)`, `#endif`...) and the values of
    /// attributes that hold code (href, class, value...) replaced by "\u{1}".
    static func leafText(_ source: String) -> String {
        var text = source
        let patterns = [#"#(else|endif|endfor|endexport|endextend)\b:?"#,
                        #"#[A-Za-z]*\((?:[^()"]|"[^"]*"|\((?:[^()"]|"[^"]*")*\))*\):?"#,
                        #"\b(href|src|action|class|id|name|style|pattern|type|for|method|accept|value)="[^"]*""#,
                        #"<(script|style)\b.*?</\1>"#]
        for p in patterns {
            text = text.replacingOccurrences(of: p, with: "\u{1}", options: .regularExpression)
        }
        return text
    }

    @Test func templatesUseFullWidthPunctuationInChineseText() throws {
        var problems: [String] = []
        for file in try Self.sources(ending: ".leaf") {
            let text = Self.leafText(try String(contentsOf: file, encoding: .utf8))
            problems += Self.offences(in: text).map { "\(file.lastPathComponent): \($0)" }
        }
        #expect(problems.isEmpty, "ASCII punctuation in Chinese text:\n\(problems.joined(separator: "\n"))")
        #expect(try Self.sources(ending: ".leaf").count > 20)
    }

    @Test func swiftStringsUseFullWidthPunctuationInChineseText() throws {
        var problems: [String] = []
        var scanned = 0
        for file in try Self.sources(ending: ".swift") {
            for literal in Self.swiftLiterals(try String(contentsOf: file, encoding: .utf8)) where literal.contains(where: Self.isHan) {
                scanned += 1
                problems += Self.offences(in: literal).map { "\(file.lastPathComponent): \($0)" }
            }
        }
        #expect(problems.isEmpty, "ASCII punctuation in Chinese text:\n\(problems.joined(separator: "\n"))")
        #expect(scanned > 500)
    }

    /// The scanner itself: it finds what it should and leaves code, numbers and interpolations alone.
    @Test func theScannerTellsTextFromCode() {
        #expect(Self.offences(in: "抄送:市应急管理局,市公安局。").count == 2)
        #expect(Self.offences(in: "抄送：市应急管理局，市公安局。 12:30 2.5 a,b").isEmpty)
        #expect(Self.offences(in: "市法院(执行局)").isEmpty)
        #expect(Self.swiftLiterals(#"let a = x ? "共\(n.map { "\($0)" }.joined(separator: ","))条" : "" // 注释:不查"#) == ["共\u{1}条", ""])
        #expect(Self.leafText(#"#if(a):共#(n)条#else:无#endif<a href="/x?a=1,b">链接</a>"#) == "\u{1}共\u{1}条\u{1}无\u{1}<a \u{1}>链接</a>")
    }
}
