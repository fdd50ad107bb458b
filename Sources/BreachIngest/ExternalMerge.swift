import BreachIndex
import Glibc

/// Writes a sorted run to disk: `HashCount` values in their in-memory layout. Runs
/// are private to one ingest (same machine, same build), so no portable encoding is
/// needed and a run is written and read back with plain block I/O.
///
/// One thread at a time owns it, so its stored properties skip the runtime's exclusivity
/// checks (`@exclusivity(unchecked)`), which are a measurable share of an ingest's time.
final class RunWriter {
    let path: String
    private let fd: Int32
    @exclusivity(unchecked) private var pending: [HashCount] = []
    private static let blockEntries = 1 << 15

    init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw IngestError.unreadable(
                file: path, reason: "cannot create a sort run: \(String(cString: strerror(errno)))")
        }
        pending.reserveCapacity(Self.blockEntries)
    }

    deinit { close(fd) }

    func append(_ entry: HashCount) throws {
        pending.append(entry)
        if pending.count == Self.blockEntries { try flush() }
    }

    func append(contentsOf entries: UnsafeBufferPointer<HashCount>) throws {
        try flush()
        try write(UnsafeRawBufferPointer(entries))
    }

    func flush() throws {
        try pending.withUnsafeBytes { try write($0) }
        pending.removeAll(keepingCapacity: true)
    }

    private func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let wrote = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if wrote < 0 && errno == EINTR { continue }
            guard wrote > 0 else {
                throw IngestError.unreadable(
                    file: path, reason: "cannot write a sort run: \(String(cString: strerror(errno)))")
            }
            done += wrote
        }
    }
}

/// A source of hashes in strictly ascending order, each once.
protocol SortedSource: AnyObject {
    func next() throws -> HashCount?
}

/// Reads a run file back in blocks.
///
/// One thread at a time owns it, so its stored properties skip the runtime's exclusivity
/// checks (`@exclusivity(unchecked)`), which are a measurable share of an ingest's time.
final class RunReader: SortedSource {
    private let path: String
    private let fd: Int32
    private let buffer: UnsafeMutableBufferPointer<HashCount>
    @exclusivity(unchecked) private var position = 0
    @exclusivity(unchecked) private var available = 0

    init(path: String, bufferEntries: Int) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw IngestError.unreadable(
                file: path, reason: "cannot open a sort run: \(String(cString: strerror(errno)))")
        }
        buffer = .allocate(capacity: max(1, bufferEntries))
    }

    deinit {
        close(fd)
        buffer.deallocate()
    }

    func next() throws -> HashCount? {
        if position == available {
            let stride = MemoryLayout<HashCount>.stride
            var got = 0
            let raw = UnsafeMutableRawBufferPointer(buffer)
            while got % stride != 0 || got == 0 {
                let n = read(fd, raw.baseAddress! + got, raw.count - got)
                if n < 0 && errno == EINTR { continue }
                if n < 0 {
                    throw IngestError.unreadable(
                        file: path, reason: "cannot read a sort run: \(String(cString: strerror(errno)))")
                }
                if n == 0 { break }
                got += n
            }
            guard got % stride == 0 else { throw IngestError.unreadable(file: path, reason: "a sort run is truncated") }
            position = 0
            available = got / stride
            if available == 0 { return nil }
        }
        defer { position += 1 }
        return buffer[position]
    }
}

/// Hands out a sorted in-memory array (the last run, never spilled).
///
/// One thread at a time owns it, so its stored properties skip the runtime's exclusivity
/// checks (`@exclusivity(unchecked)`), which are a measurable share of an ingest's time.
final class ArraySource: SortedSource {
    private let entries: [HashCount]
    @exclusivity(unchecked) private var position = 0
    init(_ entries: [HashCount]) { self.entries = entries }
    func next() -> HashCount? {
        guard position < entries.count else { return nil }
        defer { position += 1 }
        return entries[position]
    }
}

/// Reads an existing index in order (a `--base`, or the part of this ingest that
/// streamed straight through before the input turned out unsorted).
///
/// One thread at a time owns it, so its stored properties skip the runtime's exclusivity
/// checks (`@exclusivity(unchecked)`), which are a measurable share of an ingest's time.
final class IndexSource: SortedSource {
    private let index: BreachIndex
    @exclusivity(unchecked) private var prefix = 0
    @exclusivity(unchecked) private var bucket: [HashCount] = []
    @exclusivity(unchecked) private var position = 0

    init(_ index: BreachIndex) { self.index = index }

    func next() -> HashCount? {
        while position == bucket.count {
            guard prefix < 1 << 20 else { return nil }
            bucket.removeAll(keepingCapacity: true)
            index.forEachEntry(withPrefix: prefix) { bucket.append($0) }
            prefix += 1
            position = 0
        }
        defer { position += 1 }
        return bucket[position]
    }
}

/// Merges sorted sources into one ascending stream, summing the counts of a hash that
/// several sources hold (a binary heap of each source's next hash).
struct MergedSources {
    private var heap: [(entry: HashCount, source: Int)] = []
    private let sources: [any SortedSource]

    init(_ sources: [any SortedSource]) throws {
        self.sources = sources
        for (i, source) in sources.enumerated() {
            if let entry = try source.next() { push((entry, i)) }
        }
    }

    /// The next distinct hash with its summed count, and how many entries were merged into it.
    mutating func next() throws -> (HashCount, merged: Int)? {
        guard var result = heap.first?.entry else { return nil }
        var merged = 0
        while let top = heap.first, top.entry.digest == result.digest {
            if merged > 0 { result.count = HashCount.sum(result.count, top.entry.count) }
            merged += 1
            if let following = try sources[top.source].next() {
                replaceTop((following, top.source))
            } else {
                popTop()
            }
        }
        return (result, merged)
    }

    private mutating func push(_ item: (entry: HashCount, source: Int)) {
        heap.append(item)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].entry.digest < heap[parent].entry.digest else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func popTop() {
        let last = heap.removeLast()
        if !heap.isEmpty { replaceTop(last) }
    }

    private mutating func replaceTop(_ item: (entry: HashCount, source: Int)) {
        heap[0] = item
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].entry.digest < heap[smallest].entry.digest { smallest = left }
            if right < heap.count && heap[right].entry.digest < heap[smallest].entry.digest { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
