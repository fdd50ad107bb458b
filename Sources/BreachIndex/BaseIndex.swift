import BreachHash

extension BreachIndex {
    /// Why this index cannot be the base a new index of `kind` hashes is built on (`--base`
    /// of ingest and download), or nil when it can.
    public func refusalAsBase(for kind: HashKind) -> String? {
        if self.kind != kind {
            return "\(path): the base index holds \(self.kind.rawValue) hashes, not \(kind.rawValue)"
        }
        if !answersRanges {
            return
                "\(path): a compact index cannot be a base (it keeps only the first 64 bits of each hash); refresh or merge into the full index, then compact it"
        }
        return nil
    }
}
