import Foundation

/// How a document title is broken into lines (GB/T 9704-2012 7.3.3: "回行时，要做到词意完整，
/// 排列对称，长短适宜，间距恰当，标题排列应当使用梯形或菱形"). At 2号 (22 pt) a 156 mm line
/// holds about 20 characters. The one place that decides where a title breaks: the DOCX (as
/// line breaks in the title) and the HTML pages use it.
public enum OfficialTitle {
    /// Characters a title line holds at 2号 on the 156 mm text block.
    public static let lineWidth = 20.0

    /// The title's lines. A line break typed in the title is kept; a longer line is broken only
    /// at a phrase boundary (after 关于, the period, 工作, 情况, punctuation…, or before
    /// 的通报), into as few lines as fit, as even as possible, the longer line first when two
    /// choices are as even. Where no choice fits, the one whose longest line is shortest
    /// (better a line too long than one torn inside a word).
    public static func lines(_ title: String, width: Double = lineWidth) -> [String] {
        title.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\u{2028}" })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .flatMap { breakLine($0, width: width) }
    }

    /// The title with its lines joined by "\n", as `OfficialDocument.title` takes it.
    public static func broken(_ title: String) -> String { lines(title).joined(separator: "\n") }

    /// Half a character for ASCII (digits of the year), one for the rest.
    public static func width(_ s: some Sequence<Character>) -> Double {
        s.reduce(0) { $0 + ($1.isASCII ? 0.5 : 1) }
    }

    /// Words after which a title may break.
    static let breaksAfter = ["关于", "季度", "年度", "半年", "月份", "工作", "情况", "问题", "通报", "进一步", "至", "、", "，", "：", "；", "》", "）"]
    /// Words before which a title may break.
    static let breaksBefore = ["的通报", "的通知", "的决定", "的意见", "的报告", "《", "（"]

    /// Positions (character offsets) where `line` may break.
    static func boundaries(_ line: [Character]) -> [Int] {
        var found = Set<Int>()
        let text = String(line)
        func offsets(of word: String) -> [Int] {
            var result: [Int] = []
            var search = text.startIndex
            while let r = text.range(of: word, range: search..<text.endIndex) {
                result.append(text.distance(from: text.startIndex, to: r.lowerBound))
                search = text.index(after: r.lowerBound)
            }
            return result
        }
        for word in breaksAfter { for o in offsets(of: word) { found.insert(o + word.count) } }
        for word in breaksBefore { for o in offsets(of: word) { found.insert(o) } }
        // After a year, a month or a day ending a date ("2026年社会…", "3月31日社会…"), not inside it.
        for (i, c) in line.enumerated() where (c == "年" || c == "月" || c == "日") && i > 0 && line[i - 1].isNumber && i + 1 < line.count {
            let next = line[i + 1]
            if !next.isNumber && !"第上下度份初底末".contains(next) { found.insert(i + 1) }
        }
        return found.filter { $0 > 0 && $0 < line.count }.sorted()
    }

    static func breakLine(_ line: String, width maxWidth: Double) -> [String] {
        let chars = Array(line)
        guard width(line) > maxWidth else { return [line] }
        let cuts = [0] + boundaries(chars) + [chars.count]
        // Fewest lines that fit, then the evenest, then the longest first line.
        struct Best { var lines: Int; var spread: Double; var first: Double; var path: [Int] }
        var best: Best?
        // Where nothing fits: the choice whose longest line is shortest.
        var fallback: (widest: Double, path: [Int])?
        func consider(_ path: [Int]) {
            let widths = zip(path, path.dropFirst()).map { width(chars[$0..<$1]) }
            guard widths.allSatisfy({ $0 <= maxWidth }) else {
                let widest = widths.max() ?? 0
                if fallback == nil || widest < fallback!.widest { fallback = (widest, path) }
                return
            }
            let candidate = Best(lines: widths.count, spread: (widths.max() ?? 0) - (widths.min() ?? 0), first: widths[0], path: path)
            if let b = best {
                if (candidate.lines, candidate.spread, -candidate.first) < (b.lines, b.spread, -b.first) { best = candidate }
            } else {
                best = candidate
            }
        }
        // Titles are short and have few boundaries: every choice is tried (up to three breaks).
        let inner = Array(cuts.dropFirst().dropLast())
        consider([0, chars.count])
        for a in inner.indices {
            consider([0, inner[a], chars.count])
            for b in inner.indices where b > a {
                consider([0, inner[a], inner[b], chars.count])
                for c in inner.indices where c > b { consider([0, inner[a], inner[b], inner[c], chars.count]) }
            }
        }
        guard let path = best?.path ?? fallback?.path else { return [line] }
        return zip(path, path.dropFirst()).map { String(chars[$0..<$1]) }
    }
}
