import Foundation

/// Charts drawn on the server as SVG: titled, with axes, units and reference lines, legible in
/// black and white when printed. No script, no external fonts.
enum SVGChart {
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    struct Line {
        var value: Double
        var label: String
    }

    /// A histogram of values (e.g. arrival minutes) in fixed-width bins, with vertical
    /// reference lines (the time limits).
    static func histogram(title: String, values: [(value: Double, count: Int)], binWidth: Double, maxValue: Double, xUnit: String, yUnit: String,
                          lines: [Line], width: Double = 640, height: Double = 260) -> String {
        let left = 48.0, right = 16.0, top = 34.0, bottom = 40.0
        let plotW = width - left - right, plotH = height - top - bottom
        let binCount = max(1, Int((maxValue / binWidth).rounded(.up)))
        var bins = [Int](repeating: 0, count: binCount)
        for v in values { bins[min(binCount - 1, max(0, Int(v.value / binWidth)))] += v.count }
        let peak = max(1, bins.max() ?? 1)
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\" class=\"chart\">"
        out += "<title>\(escape(title))</title>"
        out += "<text x=\"\(Int(width / 2))\" y=\"18\" text-anchor=\"middle\" class=\"chart-title\">\(escape(title))</text>"
        // Axes
        out += "<line x1=\"\(left)\" y1=\"\(top + plotH)\" x2=\"\(left + plotW)\" y2=\"\(top + plotH)\" stroke=\"#000\"/>"
        out += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + plotH)\" stroke=\"#000\"/>"
        let barW = plotW / Double(binCount)
        for (i, count) in bins.enumerated() where count > 0 {
            let h = plotH * Double(count) / Double(peak)
            out += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#6b7280\" stroke=\"#fff\" stroke-width=\"0.5\"><title>%@</title></rect>",
                          left + Double(i) * barW, top + plotH - h, barW, h,
                          escape("\(fmt(Double(i) * binWidth))–\(fmt(Double(i + 1) * binWidth))\(xUnit)：\(count)\(yUnit)"))
        }
        // X ticks every fifth of the range.
        for step in 0...5 {
            let v = maxValue * Double(step) / 5
            let x = left + plotW * Double(step) / 5
            out += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"tick\">%@</text>", x, top + plotH + 14, fmt(v))
        }
        out += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"axis\">%@</text>", left + plotW / 2, height - 6, escape(xUnit))
        out += String(format: "<text x=\"12\" y=\"%.1f\" text-anchor=\"middle\" class=\"axis\" transform=\"rotate(-90 12 %.1f)\">%@</text>", top + plotH / 2, top + plotH / 2, escape(yUnit))
        out += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"tick\">%d</text>", left - 4, top + 4, peak)
        for line in lines where line.value <= maxValue {
            let x = left + plotW * line.value / maxValue
            out += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>", x, top, x, top + plotH)
            out += String(format: "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\">%@</text>", x + 3, top + 10, escape(line.label))
        }
        return out + "</svg>"
    }

    /// A line of percentages over labelled points (e.g. the monthly on-time rate), 0–100 %.
    /// The lowest rate the y-axis of a rate chart shows: 0 % when the data come near it, else
    /// the nearest step of 10 % below the lowest value (and the target), so that 89–95 % is not a
    /// flat line at the top of a 0–100 % axis. The axis always ends at 100 %.
    static func percentFloor(_ values: [Double], target: Double? = nil) -> Double {
        let lowest = (values + (target.map { [$0] } ?? [])).min() ?? 0
        let floor = ((lowest - 0.05) * 10).rounded(.down) / 10
        return min(0.9, max(0, floor))
    }

    /// A rate (0…1) by period, with the y-axis scaled to the data (`percentFloor` to 100 %) and
    /// the target drawn as a dashed line with its label.
    static func percentLine(title: String, points: [(label: String, value: Double?)], target: Line? = nil,
                            width: Double = 640, height: Double = 240) -> String {
        let left = 48.0, right = 16.0, top = 34.0, bottom = 40.0
        let plotW = width - left - right, plotH = height - top - bottom
        let low = percentFloor(points.compactMap(\.value), target: target?.value)
        let span = 1 - low
        func y(_ v: Double) -> Double { top + plotH * (1 - (max(low, min(1, v)) - low) / span) }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\" class=\"chart\">"
        out += "<title>\(escape(title))</title>"
        out += "<text x=\"\(Int(width / 2))\" y=\"18\" text-anchor=\"middle\" class=\"chart-title\">\(escape(title))</text>"
        out += "<line x1=\"\(left)\" y1=\"\(top + plotH)\" x2=\"\(left + plotW)\" y2=\"\(top + plotH)\" stroke=\"#000\"/>"
        out += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + plotH)\" stroke=\"#000\"/>"
        // Five ticks from the floor to 100 %, on whole per cents.
        for step in 0...4 {
            let v = low + span * Double(step) / 4
            let pct = Int((v * 100).rounded())
            out += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"tick\">%d%%</text>", left - 4, y(v) + 4, pct)
            if step > 0 && step < 4 {
                out += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ccc\"/>", left, y(v), left + plotW, y(v))
            }
        }
        let step = points.count > 1 ? plotW / Double(points.count - 1) : 0
        var path = ""
        for (i, p) in points.enumerated() {
            let x = left + (points.count > 1 ? Double(i) * step : plotW / 2)
            out += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"tick\">%@</text>", x, top + plotH + 14, escape(p.label))
            guard let v = p.value else { continue }
            path += path.isEmpty ? String(format: "M%.1f %.1f", x, y(v)) : String(format: " L%.1f %.1f", x, y(v))
            out += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#000\"><title>%@ %.1f%%</title></circle>", x, y(v), escape(p.label), v * 100)
        }
        if !path.isEmpty { out += "<path d=\"\(path)\" fill=\"none\" stroke=\"#000\" stroke-width=\"1.5\"/>" }
        if let target {
            // The label clear of its line: under it at the top of the plot (16 holds the wall
            // screen's larger ticks), above it elsewhere.
            let ty = y(target.value)
            out += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000\" stroke-dasharray=\"5 3\" class=\"target\"/>", left, ty, left + plotW, ty)
            out += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"tick\">%@</text>", left + plotW - 4, ty + (ty < top + 12 ? 16 : -4), escape(target.label))
        }
        out += String(format: "<text x=\"12\" y=\"%.1f\" text-anchor=\"middle\" class=\"axis\" transform=\"rotate(-90 12 %.1f)\">按时率</text>", top + plotH / 2, top + plotH / 2)
        return out + "</svg>"
    }

    static func fmt(_ v: Double) -> String {
        v == v.rounded() ? String(Int(v)) : String(format: "%.1f", v)
    }
}
