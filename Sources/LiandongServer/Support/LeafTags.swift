import Leaf
import LiandongCore

/// `#points(1.5)` → `1.5`, always one decimal.
struct PointsTag: LeafTag {
    func render(_ ctx: LeafContext) throws -> LeafData {
        guard let value = ctx.parameters.first?.double else { return .string("") }
        return .string(Points(value).description)
    }
}
