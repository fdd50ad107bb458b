import BreachIndex

/// A brotli writer for range answers (RFC 7932), coded straight from a range's rows with no
/// text between: one meta-block of one command that inserts the whole text as literals
/// (range text has nothing to repeat, so a copy would gain nothing). The literals alternate
/// between two block types (§6), each with a tree of its own: a row's hex digits, all 16 in
/// four bits, so that a suffix's code is its bits in reverse order (no table, no branch);
/// then its `:COUNT` and line break. The block switches cost ≈9 bits a row; the hex tree
/// saves ≈7 (one tree for all gave D–F five bits) and the second tree ≈6 (`:`, CR and LF
/// three bits, not five), and a row's codes take a few dozen instructions where a table
/// word per suffix byte (as gzip's `RangeDeflate.RowCode` codes them) took ≈150 (docs/benchmarks.md).
///
/// Hand-written because the library, at any quality, sets up hash tables and searches for
/// repeats on every answer, and spends longer on that than on the coding.
enum RangeBrotli {
    /// The stream of the range text made of the rows that `forEachChunk` hands over (in
    /// order, each time it is called): `writeRangeBody`'s text for the same rows. `output`
    /// holds `maximumSize(of:)` of the text's longest length; `nil` past 16 MiB of text.
    ///
    /// The header holds the text's length, known only at the end: it is written for
    /// `estimatedLength`, then rewritten in place for the real one when that takes as many
    /// bits (the common case), else the rows are coded again after the right header.
    static func brotli(
        suffixDigits: Int, estimatedLength: Int, into output: UnsafeMutableRawBufferPointer,
        rows forEachChunk: RangeRowChunks
    ) -> Int? {
        let code = RowCode.forDigits(suffixDigits)
        var guess = min(max(estimatedLength, 1), 1 << 24)
        while true {
            let fields = code.header(length: guess)
            var writer = BitWriter(output: output.baseAddress!, at: 0)
            writer.add(fields)
            var rows = RowWriter(code: code)
            forEachChunk { rows.write($0, to: &writer) }
            rows.finish(to: &writer)
            let end = writer.finish()
            assert(end + 8 <= output.count, "maximumSize(of:) bounds every stream")
            guard rows.length > 0 else { return emptyStream(into: output) }
            guard rows.length <= 1 << 24 else { return nil }
            if rows.length == guess { return end }
            let exact = code.header(length: rows.length)
            if exact.reduce(0, { $0 + $1.count }) == fields.reduce(0, { $0 + $1.count }) {
                overwrite(output, with: exact)
                return end
            }
            guess = rows.length
        }
    }

    /// Bytes enough for `brotli` of `count` bytes of text: at most five bits a character
    /// (a row of D hex digits and d count digits takes at most 4D + 4d + 21 bits, switches
    /// included, within 5 · (D + d + 3) as D + d ≥ 6), the header (< 50 bytes), and the
    /// writer's 8 bytes of room.
    static func maximumSize(of count: Int) -> Int {
        96 + (count * 5 + 7) / 8 + 8
    }

    /// The stream of an empty text: one empty last meta-block.
    private static func emptyStream(into output: UnsafeMutableRawBufferPointer) -> Int {
        var writer = BitWriter(output: output.baseAddress!, at: 0)
        writer.add([(0, 1), (1, 1), (1, 1)])  // WBITS 16, ISLAST, ISLASTEMPTY
        return writer.finish()
    }

    /// Writes `fields` over the first bits of `output`, keeping the bits after them.
    private static func overwrite(_ output: UnsafeMutableRawBufferPointer, with fields: [(bits: UInt64, count: Int)]) {
        let bitCount = fields.reduce(0) { $0 + $1.count }
        withUnsafeTemporaryAllocation(byteCount: bitCount / 8 + 9, alignment: 8) { scratch in
            var writer = BitWriter(output: scratch.baseAddress!, at: 0)
            writer.add(fields)
            _ = writer.finish()
            output.copyMemory(from: UnsafeRawBufferPointer(rebasing: scratch[..<(bitCount / 8)]))
            let kept = UInt8(0xFF) << (bitCount % 8)
            output[bitCount / 8] = output[bitCount / 8] & kept | scratch[bitCount / 8] & ~kept
        }
    }
}
