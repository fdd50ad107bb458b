import BreachHash

extension BreachIndex {
    /// Why this index cannot be the base a new index of `kind` hashes is built on (`--base`
    /// of ingest and download), or nil when it can.
    public func refusalAsBase(for kind: HashKind) -> String? {
        guard self.kind != kind else { return nil }
        return "\(path): the base index holds \(self.kind.rawValue) hashes, not \(kind.rawValue)"
    }
}
