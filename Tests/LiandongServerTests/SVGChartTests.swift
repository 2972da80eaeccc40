import Foundation
import Testing
@testable import LiandongServer

/// The compliance trend: its y-axis scaled to the data, the line to reach drawn.
@Suite("Charts: rate axes scale to their data")
struct SVGChartTests {
    @Test func theRateAxisStartsJustBelowTheData() {
        #expect(SVGChart.percentFloor([0.89, 0.93, 0.95]) == 0.8)
        #expect(SVGChart.percentFloor([0.42, 0.6]) == 0.3)
        #expect(SVGChart.percentFloor([0.03]) == 0)
        #expect(SVGChart.percentFloor([1, 1]) == 0.9)
        #expect(SVGChart.percentFloor([]) == 0)
    }

    @Test func theTrendShowsItsRangeAndTheTarget() {
        let svg = SVGChart.percentLine(title: "按时到场率（按月）", points: [("01月", 0.89), ("02月", 0.95), ("03月", nil)],
                                       target: SVGChart.Line(value: 1, label: "要求：全部在时限内到场"))
        // Ticks from 80 % to 100 %, not 0–100 %.
        #expect(svg.contains(">80%</text>") && svg.contains(">90%</text>") && svg.contains(">100%</text>"))
        #expect(!svg.contains(">0%</text>") && !svg.contains(">50%</text>"))
        #expect(svg.contains("class=\"target\"") && svg.contains("要求：全部在时限内到场"))
        // 89 % and 95 % are far apart on the plot (the plot is 166 px high over 20 %).
        let ys = svg.matches(of: /cy="([0-9.]+)"/).compactMap { Double($0.1) }
        #expect(ys.count == 2 && ys[0] - ys[1] > 40)
    }
}
