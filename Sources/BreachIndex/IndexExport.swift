import BreachHash

extension BreachIndex {
    /// Writes every hash of a full index as uppercase `HASH:COUNT` lines ending in CRLF,
    /// in ascending order (the layout of the Pwned Passwords download), handing `write`
    /// about `bufferBytes` at a time. The text reads back through `ingest` to the same
    /// buckets.
    ///
    /// Buckets are read block by block from LMDB (a read of a MiB at a time, not a fault
    /// per page) and formatted with the range route's line writer from the decoded
    /// suffixes: a hand-written hot path, since two billion lines must go out at the
    /// speed of a disk.
    public func exportLines(bufferBytes: Int = 8 << 20, _ write: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard answersRanges else { throw IndexError.needsWholeHashes(path: path) }
        let digits = kind.hexDigitCount
        var capacity = bufferBytes
        var buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        var used = 0
        try forEachStoredBucket { prefix, value in
            guard let bucket = BucketReader(value, shape: bucketShape) else {
                throw IndexError.corrupt(
                    path: path, detail: "bucket \(Self.rangePrefixText(prefix)): its header does not match its length")
            }
            let needed =
                bucket.layout.entryCount * (digits + 3 + DecimalText.digitCount(bucket.layout.largestCount))
                + RangeLineWriter.scratch
            if used + needed > capacity {
                try write(UnsafeRawBufferPointer(start: buffer, count: used))
                used = 0
                if needed > capacity {
                    buffer.deallocate()
                    capacity = needed
                    buffer = .allocate(byteCount: capacity, alignment: 16)
                }
            }
            // The line writer puts CRLF between lines: one more ends the bucket's last.
            var writer = RangeLineWriter(buffer + used, digits: digits)
            let top = UInt64(prefix) << 44
            bucket.forEachSuffix { suffix, count in
                writer.write(
                    RangeSuffix(
                        first: top | suffix.first >> 20, second: suffix.first << 44 | suffix.second >> 20,
                        third: suffix.second << 44 | suffix.third >> 20), count: count)
            }
            used += writer.written
            (buffer + used).storeBytes(of: UInt16(0x0A0D).littleEndian, as: UInt16.self)
            used += 2
        }
        if used > 0 { try write(UnsafeRawBufferPointer(start: buffer, count: used)) }
    }
}
