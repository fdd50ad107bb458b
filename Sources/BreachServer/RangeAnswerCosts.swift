import BreachHash
import BreachIndex

/// The work of a range answer on a cache miss, one part at a time, for the in-process
/// benchmark (`tools/bench/run.sh floor`): the same code the route runs, without a server.
@_spi(Benchmarks) public enum RangeAnswerCosts {
    /// The whole answer to `GET /range/{prefix}` with `acceptEncoding`, as a cache miss makes
    /// it for a client that asks for no digest (body, coding and head); returns the body's length.
    public static func answer(index: BreachIndex, prefix: Int, acceptEncoding: String?) -> Int {
        let representation = RangeRoute.Representation(
            index: index, prefix: prefix, coding: ContentCoding.preferred(by: acceptEncoding), addPadding: false)
        return RangeRoute.answer(representation).bodyByteCount
    }

    /// The `Repr-Digest` of `bytes`, as an answer to `Want-Repr-Digest` sends it; returns its length.
    public static func digest(_ bytes: UnsafeRawBufferPointer) -> Int {
        RepresentationDigest.field(of: bytes).utf8.count
    }
}
